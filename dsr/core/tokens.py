"""Signed links: to a request's status page, and to a package sent to another controller."""

from datetime import timedelta

from django.core import signing

from dsr.models import (
    SubjectRequest,
    Transmission,
)

STATUS_SALT = "dsr.status-link"
TRANSMISSION_SALT = "dsr.transmission-link"


def status_token(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk}, salt=STATUS_SALT, compress=True)


def request_from_status_token(token: str) -> SubjectRequest | None:
    try:
        values = signing.loads(token, salt=STATUS_SALT)
    except signing.BadSignature:
        return None
    return SubjectRequest.objects.filter(pk=values.get("r")).first()


def transmission_token(transmission: Transmission) -> str:
    """The recipient's link (Art. 20(2)): names the transmission and its current nonce."""
    return signing.dumps(
        {"t": transmission.pk, "n": transmission.nonce}, salt=TRANSMISSION_SALT, compress=True
    )


def transmission_from_token(token: str, *, max_age: timedelta) -> Transmission | None:
    """The transmission a link was made for, if it is genuine, not older than ``max_age``
    and not replaced by a newer link (the caller checks the transmission's own expiry)."""
    try:
        values = signing.loads(token, salt=TRANSMISSION_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    found = Transmission.objects.filter(pk=values.get("t")).first()
    if found is None or not found.nonce or found.nonce != values.get("n"):
        return None
    return found
