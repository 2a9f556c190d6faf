"""The one-click objection link in the controller's marketing e-mails: a page that objects to
direct marketing with one button, and the RFC 8058 one-click POST mail programs send."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from dsr.core import ratelimit
from dsr.core.tokens import MarketingAddress, address_from_marketing_token
from dsr.models import SignalIdentifier, SignalSource
from dsr.services import marketing_objection
from dsr.views.intake import too_many

ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058: the body a mail program posts


def masked(email: str) -> str:
    """Enough of the address for its holder to recognise it, not all of it for anyone else."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "dsr/objection_link_invalid.html", status=404)


@csrf_exempt  # the one-click POST of RFC 8058 carries no CSRF token; the page's form does
def objection_link(request: HttpRequest, token: str) -> HttpResponse:
    address = address_from_marketing_token(token)
    if address is None:
        return _invalid(request)
    if request.method == "POST" and request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]:
        # A mail program's one-click: the signed link is the authority (it went only to this
        # address), and nothing here acts on a GET that a link scanner might send.
        if not _take(request, address):
            return too_many(request)
        return HttpResponse(status=204)
    return _page(request, token, address)


@csrf_protect
def _page(request: HttpRequest, token: str, address: MarketingAddress) -> HttpResponse:
    if request.method == "POST":
        if not _take(request, address):
            return too_many(request)
        return redirect("dsr:objection_link", token)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return render(
        request,
        "dsr/objection_link.html",
        {
            "address": masked(address.email),
            "objection": marketing_objection.marketing_objection_of(email=address.email),
        },
    )


def _take(request: HttpRequest, address: MarketingAddress) -> bool:
    if not ratelimit.allow(
        "objection-link", address.email, settings.DSR_RATE_OBJECTION_LINK_PER_ADDRESS
    ):
        return False
    marketing_objection.take_signal(
        source=SignalSource.ONE_CLICK,
        identified_by=SignalIdentifier.MARKETING_LINK,
        email=address.email,
        language=address.language,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return True
