"""Public pages: the home page, the language switch, the health page."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.middleware import set_language_cookie
from dsr.core.controller import get_controller
from dsr.core.register import offered_rights
from dsr.rights import RIGHTS, Right
from dsr.selectors.health import run_checks


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dsr/home.html",
        {
            "controller": get_controller(),
            "rights": [info for info in offered_rights() if info.right is not Right.OBJECTION],
            "objection": RIGHTS[Right.OBJECTION],
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Like Django's set_language, and also remembers the choice on the person's account."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        set_language_cookie(response, language)
        user = request.user
        if user.is_authenticated and getattr(user, "language", None) != language:
            user.language = language
            user.save(update_fields=["language"])
    return response


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    healthy = all(check.ok for check in checks)
    status = 200 if healthy else 503
    if "text/html" in request.headers.get("accept", ""):
        return render(
            request, "dsr/healthz.html", {"checks": checks, "healthy": healthy}, status=status
        )
    return JsonResponse(
        {
            "status": "ok" if healthy else "failing",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        },
        status=status,
    )
