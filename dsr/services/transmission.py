"""Direct transmission to another controller (Art. 20(2) GDPR): the person names the
recipient on the form and confirms it on their status page; when the answer is released the
recipient is e-mailed a signed, expiring link to the same package; an officer can record that
it is not technically feasible, with the reason, which the answer letter then gives.
"""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import TRANSMISSION_TEMPLATE, send_to_requester
from dsr.core.tokens import transmission_from_token
from dsr.models import (
    AnswerPackage,
    Delivery,
    DeliveryState,
    EventKind,
    SentLetter,
    SubjectRequest,
    Transmission,
    TransmissionState,
)
from dsr.rights import Right

OPEN = (TransmissionState.REQUESTED, TransmissionState.CONFIRMED)


def _email_or_blank(contact: str) -> str:
    try:
        validate_email(contact)
    except ValidationError:
        return ""
    return contact.lower()


def open_from_intake(request: SubjectRequest) -> Transmission | None:
    """The recipient the person named on the form, if they asked for direct transmission."""
    asked = request.requested_rights.filter(right=Right.PORTABILITY).first()
    details = asked.details if asked is not None else {}
    if not details.get("transmit"):
        return None
    contact = str(details.get("recipient_contact", "")).strip()
    transmission, _created = Transmission.objects.get_or_create(
        request=request,
        defaults={
            "recipient_name": str(details.get("recipient_name", "")).strip()[:200],
            "recipient_contact": contact[:500],
            "recipient_email": _email_or_blank(contact),
        },
    )
    return transmission


@transaction.atomic
def confirm(request: SubjectRequest) -> Transmission:
    """The person confirms, on their status page, that the data may go to the recipient."""
    transmission = Transmission.objects.select_for_update().filter(request=request).first()
    if transmission is None:
        raise RequestError(_("You did not ask for your data to be sent to another company."))
    if transmission.state != TransmissionState.REQUESTED:
        raise RequestError(_("This transmission has already been confirmed or decided."))
    if not transmission.recipient_email:
        raise RequestError(
            _(
                "We can only send a download link to an e-mail address; the address you gave "
                "is not one. Please write to us."
            )
        )
    released = request.packages.filter(released_at__isnull=False, deleted_at__isnull=True).first()
    if not request.is_open and (released is None or not released.available):
        raise RequestError(_("Your request is closed; your data can no longer be sent."))
    transmission.state = TransmissionState.CONFIRMED
    transmission.confirmed_at = timezone.now()
    transmission.save(update_fields=["state", "confirmed_at"])
    record(request, EventKind.TRANSMISSION_CONFIRMED, data={"transmission": transmission.pk})
    # Confirmed after the answer went out: the link goes now, to the package already sent.
    if released is not None and released.available:
        send_on_release(released)
    return transmission


@transaction.atomic
def record_not_feasible(request: SubjectRequest, *, officer: User, reason: str) -> Transmission:
    """An officer records that the direct transmission is not technically feasible, and why
    (the answer letter says so: Art. 20(2), 12(4))."""
    reason = reason.strip()
    if not reason:
        raise RequestError(_("Say why the transmission is not feasible; the requester is told."))
    transmission = Transmission.objects.select_for_update().filter(request=request).first()
    if transmission is None:
        raise RequestError(_("The requester did not ask for direct transmission."))
    if transmission.state not in OPEN:
        raise RequestError(_("The data has already been sent, or this was decided."))
    transmission.state = TransmissionState.NOT_FEASIBLE
    transmission.reason = reason
    transmission.decided_by = officer
    transmission.save(update_fields=["state", "reason", "decided_by"])
    record(
        request,
        EventKind.TRANSMISSION_NOT_FEASIBLE,
        actor=officer,
        reason=reason,
        data={"transmission": transmission.pk},
    )
    return transmission


def send_on_release(package: AnswerPackage, *, officer: User | None = None) -> Transmission | None:
    """Within the release's transaction: a confirmed transmission goes to its recipient as a
    link to this package, valid ``DSR_TRANSMISSION_DAYS`` (never past the package's expiry).
    The e-mail is queued for after the commit, by id."""
    transmission = Transmission.objects.select_for_update().filter(request=package.request).first()
    if transmission is None or transmission.state != TransmissionState.CONFIRMED:
        return transmission
    now = timezone.now()
    expires = now + timedelta(days=settings.DSR_TRANSMISSION_DAYS)
    if package.expires_at is not None:
        expires = min(expires, package.expires_at)
    transmission.state = TransmissionState.SENT
    transmission.sent_at = now
    transmission.expires_at = expires
    transmission.package = package
    transmission.nonce = secrets.token_hex(16)
    transmission.save(update_fields=["state", "sent_at", "expires_at", "package", "nonce"])
    record(
        package.request,
        EventKind.TRANSMISSION_SENT,
        actor=officer,
        data={"transmission": transmission.pk, "package": package.pk},
    )
    send_to_requester(package.request, TRANSMISSION_TEMPLATE, transmission=transmission.pk)
    return transmission


def renew_on_reissue(package: AnswerPackage, *, officer: User) -> Transmission | None:
    """Within the reissue's transaction: a recipient who has not downloaded the package yet
    gets a new link too (the old one stops working), valid as long as the renewed package."""
    transmission = (
        Transmission.objects.select_for_update()
        .filter(request=package.request, package=package, state=TransmissionState.SENT)
        .first()
    )
    if transmission is None:
        return None
    if package.request.events.filter(
        kind=EventKind.TRANSMISSION_DOWNLOADED, data__transmission=transmission.pk
    ).exists():
        return transmission  # it has what it was sent
    transmission.state = TransmissionState.CONFIRMED
    transmission.save(update_fields=["state"])
    return send_on_release(package, officer=officer)


def for_download(token: str) -> tuple[Transmission, AnswerPackage] | None:
    """The package a recipient's link gives, or None: forged, replaced, expired, or the
    package is gone."""
    transmission = transmission_from_token(
        token, max_age=timedelta(days=settings.DSR_TRANSMISSION_DAYS)
    )
    if transmission is None or transmission.state != TransmissionState.SENT:
        return None
    package = transmission.package
    if (
        package is None
        or not package.available
        or transmission.expires_at is None
        or transmission.expires_at <= timezone.now()
    ):
        return None
    return transmission, package


def downloaded(transmission: Transmission, package: AnswerPackage) -> None:
    record(
        transmission.request,
        EventKind.TRANSMISSION_DOWNLOADED,
        data={"transmission": transmission.pk, "package": package.pk},
    )


def with_delivery(transmission: Transmission | None) -> Transmission | None:
    """The transmission, with what became of the recipient's e-mail once it was released:
    ``delivery`` is "delivered" (``delivered_at``: when the mail server took it), "failed" (it
    failed for good; an officer can try again) or "pending" (owed, or being sent now). What
    the person is told about it rests on this, not on the release."""
    if transmission is None or transmission.state != TransmissionState.SENT:
        return transmission
    since = transmission.sent_at or transmission.created_at
    copy = (
        SentLetter.objects.filter(
            request=transmission.request,
            template=TRANSMISSION_TEMPLATE,
            to=transmission.recipient_email,
            sent_at__gte=since,
        )
        .order_by("-sent_at")
        .first()
    )
    failed = Delivery.objects.filter(
        request=transmission.request,
        label=TRANSMISSION_TEMPLATE,
        state=DeliveryState.FAILED,
        created_at__gte=since,
    ).exists()
    transmission.delivered_at = copy.sent_at if copy else None
    transmission.delivery = "delivered" if copy else "failed" if failed else "pending"
    return transmission


def letter_context(request: SubjectRequest) -> dict[str, Any]:
    """What the answer letter says about the direct transmission: sent to whom and until
    when (or being sent, or not delivered), not feasible and why, or not sent because it was
    never confirmed."""
    transmission = Transmission.objects.filter(request=request).first()
    if transmission is None:
        return {}
    return {"transmission": with_delivery(transmission)}
