"""Filing a request: online, by an agent, or entered by staff from a letter or e-mail."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core import challenges
from dsr.core.clock import local_date
from dsr.core.controller import get_controller
from dsr.core.errors import RequestError
from dsr.core.events import next_reference, record
from dsr.core.files import Upload, store_upload
from dsr.core.messages import send_to_requester
from dsr.core.register import decides_automatically
from dsr.models import (
    ChallengePurpose,
    Channel,
    EventKind,
    FileKind,
    RequestedRight,
    RequesterType,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.processing.plans import plan_key
from dsr.rights import Right
from dsr.services import transmission
from dsr.services.verification import verified_by_email


@dataclass(frozen=True)
class SubjectDetails:
    email: str = ""
    name: str = ""
    phone: str = ""
    customer_number: str = ""
    postal_address: str = ""


@dataclass(frozen=True)
class AgentDetails:
    name: str
    email: str
    authority: str


@dataclass(frozen=True)
class Intake:
    rights: dict[str, dict[str, Any]]
    subject: SubjectDetails
    language: str
    channel: str = Channel.WEB
    agent: AgentDetails | None = None
    evidence: Upload | None = None
    received_at: datetime | None = None
    # What the request is about (a ``Matter``): chooses the competent supervisory authority.
    matter: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _has_verified_email(account: User | None, email: str) -> bool:
    if account is None or not account.is_authenticated or not email:
        return False
    return bool(
        EmailAddress.objects.filter(user=account, email__iexact=email, verified=True).exists()
    )


@transaction.atomic
def submit_request(
    *,
    intake: Intake,
    account: User | None = None,
    entered_by: User | None = None,
    verified_as: str = "",
    acknowledgement: str = "received",
) -> SubjectRequest:
    """Open a request and start the statutory clock (receipt = now, or the real receipt time
    of a letter or e-mail that staff enter).

    ``verified_as``: a ``VerificationMethod`` by which the person already proved the address
    before filing (a signed link that went to it); the request is verified at once, like one
    from an account. ``acknowledgement``: the template of the first e-mail."""
    if verified_as and (intake.agent is not None or entered_by is not None):
        raise ValueError("Only a data subject's own online request can come verified.")
    if not intake.rights:
        raise RequestError(_("Please choose at least one right."))
    if (
        entered_by is None
        and Right.AUTOMATED_DECISION in intake.rights
        and not decides_automatically()
    ):
        # Online only what exists is offered; staff may still record a letter that asks.
        raise RequestError(_("We take no decisions about you by automated means alone."))
    subject, agent = intake.subject, intake.agent
    if agent is None and not subject.email and entered_by is None:
        # Online the address is how we confirm and answer; a letter may come without one.
        raise RequestError(_("Please give your e-mail address."))
    received_at = intake.received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise RequestError(_("The date of receipt cannot be in the future."))
    controller = get_controller()
    received_on = local_date(received_at, controller)
    request = SubjectRequest.objects.create(
        # Numbered below, as late as possible: the year's counter row is locked from then until
        # the commit, and every filing waits for it (numbered here, it made filings queue up
        # one behind the other under load). Nobody outside this transaction sees the stand-in.
        reference=f"new-{uuid.uuid4().hex[:16]}",
        language=intake.language,
        channel=intake.channel,
        received_at=received_at,
        received_on=received_on,
        due_on=received_on,
        strict_due_on=received_on,
        email=subject.email.strip().lower(),
        name=subject.name.strip(),
        phone=subject.phone.strip(),
        customer_number=subject.customer_number.strip(),
        postal_address=subject.postal_address.strip(),
        requester_type=RequesterType.AGENT if agent else RequesterType.SUBJECT,
        agent_name=agent.name.strip() if agent else "",
        agent_email=agent.email.strip().lower() if agent else "",
        agent_authority=agent.authority if agent else "",
        matter=intake.matter,
    )
    # The account owns the request only if the address is one it has verified: typing
    # someone else's address while logged in gives no access to their request.
    answer_address = request.agent_email if agent else request.email
    owner = account if _has_verified_email(account, answer_address) else None
    if owner is not None:
        request.account = owner
        request.save(update_fields=["account"])
    for right, details in intake.rights.items():
        RequestedRight.objects.create(request=request, right=Right(right), details=details)
    transmission.open_from_intake(request)  # the recipient named for Art. 20(2), if any
    if intake.evidence is not None:
        store_upload(request=request, kind=FileKind.AGENT_EVIDENCE, upload=intake.evidence)
    record(
        request,
        EventKind.SUBMITTED,
        actor=entered_by,
        at=received_at,
        data={"channel": intake.channel, "rights": sorted(intake.rights)},
    )
    _link_duplicate(request)

    if entered_by is None and (owner is not None or verified_as):
        send_to_requester(request, acknowledgement)
        verified_by_email(request, verified_as or VerificationMethod.ACCOUNT, quiet=True)
    elif (
        request.answer_email
        and intake.channel != Channel.OPENDSR  # we never write to a controller's people
        and (entered_by is None or intake.extra.get("send_verification"))
    ):
        challenge = challenges.issue(
            request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
        )
        record(request, EventKind.VERIFICATION_SENT, actor=entered_by)
        send_to_requester(request, acknowledgement, challenge)
    # Last: the counter's lock is held from here to the commit (e-mails render at send time).
    request.reference = next_reference(received_on.year)
    request.save(update_fields=["reference"])
    return request


def _link_duplicate(request: SubjectRequest) -> None:
    """A second request for the same right, from the same requester to the same address,
    rides on the first one's work while that is open. Only a verified first request counts:
    an unconfirmed one may have been filed by someone else, and the real person's request
    must not wait on it. Filed within DSR_DUPLICATE_WINDOW_DAYS of the first (by any
    channel), it is the same request asked twice: it is answered together with the first, and
    the person is told so. A controller's OpenDSR request is never one: it is that
    controller's request to us as its processor, not the person's (and it would not ride on
    the person's own request to us, nor theirs on it); the controller resends none twice."""
    if not request.email or request.channel == Channel.OPENDSR:
        return
    window = timedelta(days=int(settings.DSR_DUPLICATE_WINDOW_DAYS))
    earlier = (
        SubjectRequest.objects.filter(
            email__iexact=request.email,
            requester_type=request.requester_type,
            agent_email__iexact=request.agent_email,
            requested_rights__right__in=request.rights,
            duplicate_of__isnull=True,
            received_at__lte=request.received_at,
        )
        .filter(status__in=[Status.VERIFIED, Status.IN_PROGRESS, Status.IN_REVIEW])
        .exclude(pk=request.pk)
        .exclude(channel=Channel.OPENDSR)
        .order_by("received_at", "pk")
        .first()
    )
    if earlier is None or not _same_work(request, earlier):
        return
    together = request.received_at - earlier.received_at <= window and _within(request, earlier)
    request.duplicate_of = earlier
    request.save(update_fields=["duplicate_of"])
    record(
        request,
        EventKind.LINKED,
        data={"reference": earlier.reference, "together": together},
    )
    if together:
        send_to_requester(request, "linked")


def _within(request: SubjectRequest, earlier: SubjectRequest) -> bool:
    """Asks for nothing the earlier request does not: its answer answers this one too."""

    def keys(item: SubjectRequest) -> set[str]:
        return {plan_key(r.right, r.details) for r in item.requested_rights.all()}

    return keys(request) <= keys(earlier)


def _same_work(request: SubjectRequest, earlier: SubjectRequest) -> bool:
    def keys(item: SubjectRequest) -> set[str]:
        # An Art. 22 review is about one decision: two reviews are never the same work.
        return {
            plan_key(r.right, r.details)
            for r in item.requested_rights.all()
            if r.right != Right.AUTOMATED_DECISION
        }

    return bool(keys(request) & keys(earlier))
