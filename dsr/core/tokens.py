"""Signed links: to a request's status page, to a package sent to another controller, to the
list of all of one address's requests, and the one-click objection link in the controller's
marketing e-mails."""

from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core import signing
from django.utils import timezone

from dsr.core.crypto import decrypt_text, encrypt_text
from dsr.core.events import closing_event
from dsr.models import (
    CLOSED_STATUSES,
    SubjectRequest,
    Transmission,
)

STATUS_SALT = "dsr.status-link"
TRANSMISSION_SALT = "dsr.transmission-link"
MARKETING_SALT = "dsr.marketing-objection-link"
REQUEST_LIST_SALT = "dsr.request-list-link"


def status_token(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk}, salt=STATUS_SALT, compress=True)


def request_from_status_token(token: str) -> SubjectRequest | None:
    try:
        values = signing.loads(token, salt=STATUS_SALT)
    except signing.BadSignature:
        return None
    return SubjectRequest.objects.filter(pk=values.get("r")).first()


def status_link_expired(request: SubjectRequest) -> bool:
    """A status link works while its request is open and ``DSR_STATUS_LINK_DAYS`` after the
    request closed (counted from the closing, not from the e-mail: the person needs the link
    for as long as the request runs, however long an extension makes it)."""
    if request.status not in CLOSED_STATUSES:
        return False
    closed = closing_event(request.events.order_by("at", "pk"))
    if closed is None:
        return False
    return timezone.now() >= closed.at + timedelta(days=settings.DSR_STATUS_LINK_DAYS)


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


@dataclass(frozen=True)
class MarketingAddress:
    email: str
    language: str


def marketing_objection_token(email: str, language: str) -> str:
    """The one-click objection link's token for one address. Signed (HMAC, checked in constant
    time by ``signing``) so it cannot be made or altered without the secret key; the address
    inside is encrypted, so it does not show in the access logs of proxies and web servers.
    It does not expire: a marketing e-mail is read months later, and objecting must still work."""
    return signing.dumps(
        {"a": encrypt_text(email.strip().lower()), "l": language}, salt=MARKETING_SALT
    )


def address_from_marketing_token(token: str) -> MarketingAddress | None:
    try:
        values = signing.loads(token, salt=MARKETING_SALT)
        email = decrypt_text(str(values["a"]))
    except (signing.BadSignature, InvalidToken, KeyError, TypeError, ValueError):
        return None
    language = str(values.get("l") or "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return MarketingAddress(email=email, language=language) if email else None


def request_list_token(email: str) -> str:
    """The link to all the requests answered at one address: signed and expiring after
    ``DSR_REQUEST_LIST_LINK_DAYS``; the address inside is encrypted (not in access logs)."""
    return signing.dumps({"a": encrypt_text(email.strip().lower())}, salt=REQUEST_LIST_SALT)


def address_from_request_list_token(token: str) -> str:
    """The address a list link was made for; "" if it is not genuine or has expired."""
    max_age = timedelta(days=settings.DSR_REQUEST_LIST_LINK_DAYS)
    try:
        values = signing.loads(token, salt=REQUEST_LIST_SALT, max_age=max_age)
        return decrypt_text(str(values["a"]))
    except (signing.BadSignature, InvalidToken, KeyError, TypeError, ValueError):
        return ""
