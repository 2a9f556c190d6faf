"""Global Privacy Control: the portal says it honours the signal, and takes it as an objection
to direct marketing (Art. 21(5) GDPR) from a person it can recognise.

Whom we recognise, and by what (no more than the person already proved to us):
- a signed-in data subject, by the account's verified e-mail address (staff accounts are not
  data subjects here: an officer's browser must not object in their name);
- a visitor whose session opened the status page of their own request with the code we sent to
  its address (an agent's request does not count: the address is the agent's, not the person's).

A signal counts once per session and person: the browser repeats it on every page, and
recording each page view would log the person's browsing, which the objection does not need.
"""

import datetime
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.roles import is_officer
from dsr.models import RequesterType, SignalIdentifier, SignalSource, SubjectRequest
from dsr.services import marketing_objection
from dsr.views.access import granted_requests

# The day this portal's GPC support (what gpc.json describes) last changed.
GPC_LAST_UPDATE = datetime.date(2026, 12, 3)
SESSION_KEY = "dsr_gpc_taken"


@require_safe
@cache_control(max_age=86400, public=True)
def gpc_json(request: HttpRequest) -> HttpResponse:
    """``/.well-known/gpc.json`` as the GPC specification defines it."""
    return JsonResponse({"gpc": True, "lastUpdate": GPC_LAST_UPDATE.isoformat()})


def sends_gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def _recognised(request: HttpRequest, taken: list[str]) -> list[tuple[str, SignalIdentifier, str]]:
    """(session key, how recognised, address) for each person this visitor proved to be whose
    signal this session has not taken yet. The keys name ids, never addresses."""
    user = request.user
    if user.is_authenticated:
        key = f"account:{user.pk}"
        if key in taken or user.is_staff or is_officer(user):
            return []
        address = (
            EmailAddress.objects.filter(user=user, verified=True)
            .order_by("-primary", "pk")
            .values_list("email", flat=True)
            .first()
        )
        return [(key, SignalIdentifier.ACCOUNT, address)] if address else []
    pks = [pk for pk in granted_requests(request) if f"request:{pk}" not in taken]
    if not pks:
        return []
    found = SubjectRequest.objects.filter(pk__in=pks, requester_type=RequesterType.SUBJECT).exclude(
        email=""
    )
    return [
        (f"request:{pk}", SignalIdentifier.STATUS_ACCESS, email.lower())
        for pk, email in found.order_by("pk").values_list("pk", "email")
    ]


def _language(request: HttpRequest) -> str:
    """The account's language, else the one the visitor reads the portal in."""
    chosen = getattr(request.user, "language", "") or translation.get_language() or ""
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def take_gpc_signal(request: HttpRequest) -> None:
    taken = list(request.session.get(SESSION_KEY, []))
    user = request.user
    done: set[str] = set()  # two requests of one address unlocked: one signal
    for key, identified_by, address in _recognised(request, taken):
        if address not in done:
            marketing_objection.take_signal(
                source=SignalSource.GPC,
                identified_by=identified_by,
                email=address,
                language=_language(request),
                account=user if isinstance(user, User) else None,
                user_agent=request.headers.get("User-Agent", ""),
            )
            done.add(address)
        taken.append(key)
        request.session[SESSION_KEY] = taken


class GlobalPrivacyControlMiddleware:
    """Takes ``Sec-GPC: 1`` from a recognised person as their objection (after the session,
    authentication and language middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if sends_gpc(request):
            take_gpc_signal(request)
        return self.get_response(request)
