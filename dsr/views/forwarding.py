"""The page a controller we forwarded a request to opens to check that the message is ours."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dsr.services import forwarding


@require_GET
def check(request: HttpRequest, token: str) -> HttpResponse:
    """Genuine: the reference, to whom and when, and the message's fingerprint; nothing about
    the person (the link may travel further than the message)."""
    found = forwarding.from_signature(token)
    if found is None:
        return render(request, "dsr/forwarding_check.html", {"forwarding": None}, status=404)
    response = render(request, "dsr/forwarding_check.html", {"forwarding": found})
    response["Referrer-Policy"] = "no-referrer"
    return response
