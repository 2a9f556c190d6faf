"""Use cases of a request's life before the connectors run: intake, verification, the clock.

Each function is one use case and the outermost transaction; e-mails leave on commit, through
the worker, with ids only in the message.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.models import (
    CLOSED_STATUSES,
    CaseMessage,
    ChallengePurpose,
    Channel,
    EventKind,
    ExtensionGround,
    FileKind,
    MessageDirection,
    ReferenceCounter,
    RequestedRight,
    RequesterType,
    RequestEvent,
    RequestFile,
    Status,
    SubjectRequest,
    VerificationChallenge,
    VerificationMethod,
)
from dsr.rights import Right
from dsr.services import audit, verification
from dsr.services.clock import clock_for, local_date, today
from dsr.services.controller import get_controller
from dsr.services.files import Upload, delete_file, store_upload
from dsr.services.verification import Outcome

STATUS_SALT = "dsr.status-link"


class RequestError(Exception):
    """A use case refused; the message is for the person acting, in their language."""


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
    extra: dict[str, Any] = field(default_factory=dict)


# --- the events and what they imply ---------------------------------------------------------------

_STATUS_AFTER = {
    EventKind.SUBMITTED: Status.RECEIVED,
    EventKind.VERIFIED: Status.VERIFIED,
    EventKind.PROCESSING_STARTED: Status.IN_PROGRESS,
    EventKind.PROCESSING_FINISHED: Status.IN_REVIEW,
    EventKind.ANSWER_RELEASED: Status.COMPLETED,
    EventKind.COMPLETED: Status.COMPLETED,
    EventKind.WITHDRAWN: Status.WITHDRAWN,
    EventKind.EXPIRED: Status.REFUSED,
    EventKind.REFUSED: Status.REFUSED,
    EventKind.SUBJECT_REJECTED: Status.REFUSED,
}


def derive_status(events: Iterable[RequestEvent]) -> Status:
    status = Status.RECEIVED
    for event in events:
        if status in CLOSED_STATUSES:
            break  # nothing reopens a closed request
        if event.kind == EventKind.VERIFICATION_SENT and status == Status.RECEIVED:
            status = Status.AWAITING_VERIFICATION
        elif event.kind in _STATUS_AFTER:
            status = _STATUS_AFTER[EventKind(event.kind)]
    return status


_CLOSING = frozenset(kind for kind, status in _STATUS_AFTER.items() if status in CLOSED_STATUSES)


def closing_event(events: Iterable[RequestEvent]) -> RequestEvent | None:
    """The event that closed the request (nothing reopens one, so the first that closes)."""
    return next((e for e in events if e.kind in _CLOSING), None)


def record(
    request: SubjectRequest,
    kind: str,
    *,
    actor: User | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> RequestEvent:
    """Append an event and bring the cached status and due dates in line with the history."""
    event = RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor,
        reason=reason,
        data=data or {},
        at=at or timezone.now(),
    )
    audit.event_recorded(event)
    refresh(request)
    if request.status in CLOSED_STATUSES:
        if kind in _CLOSING:
            from dsr.services import stats

            stats.snapshot(request)  # the statistics outlive the request (LEGAL.md §5)
        _purge_verification_files(request)
        _release_duplicates(request)
    return event


def _release_duplicates(request: SubjectRequest) -> None:
    """Requests that waited on this one's work do their own now that it ended."""
    for duplicate in request.duplicates.filter(status=Status.VERIFIED):
        _on_verified(duplicate)


def _purge_verification_files(request: SubjectRequest) -> None:
    """Identity documents never outlive the request they were sent for (LEGAL.md §3)."""
    for file in request.files.filter(kind=FileKind.ID_DOCUMENT, deleted_at__isnull=True):
        delete_file(file)


def refresh(request: SubjectRequest) -> None:
    events = list(request.events.order_by("at", "pk"))
    clock = clock_for(request, events)
    request.status = derive_status(events)
    request.due_on = clock.deadlines.due
    request.strict_due_on = (
        clock.deadlines.strict_extended_due
        if clock.deadlines.extended
        else clock.deadlines.strict_due
    )
    request.extended = clock.deadlines.extended
    request.paused = clock.deadlines.paused_now and request.status not in CLOSED_STATUSES
    verified = next((e for e in events if e.kind == EventKind.VERIFIED), None)
    request.verified_at = verified.at if verified else None
    request.verification_method = verified.data.get("method", "") if verified else ""
    request.save(
        update_fields=[
            "status",
            "due_on",
            "strict_due_on",
            "extended",
            "paused",
            "verified_at",
            "verification_method",
            "updated_at",
        ]
    )


def next_reference(year: int) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"DSR-{year}-{counter.last:05d}"


def status_token(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk}, salt=STATUS_SALT, compress=True)


def request_from_status_token(token: str) -> SubjectRequest | None:
    try:
        values = signing.loads(token, salt=STATUS_SALT)
    except signing.BadSignature:
        return None
    return SubjectRequest.objects.filter(pk=values.get("r")).first()


def _send(
    request: SubjectRequest,
    template: str,
    challenge: VerificationChallenge | None = None,
    **extra: Any,
) -> None:
    from dsr.tasks import send_request_email

    challenge_id = challenge.pk if challenge else None
    transaction.on_commit(
        lambda: send_request_email.delay(request.pk, template, challenge_id, extra or None)
    )


def _has_verified_email(account: User | None, email: str) -> bool:
    if account is None or not account.is_authenticated or not email:
        return False
    return bool(
        EmailAddress.objects.filter(user=account, email__iexact=email, verified=True).exists()
    )


# --- intake ---------------------------------------------------------------------------------------


@transaction.atomic
def submit_request(
    *, intake: Intake, account: User | None = None, entered_by: User | None = None
) -> SubjectRequest:
    """Open a request and start the statutory clock (receipt = now, or the real receipt time
    of a letter or e-mail that staff enter)."""
    if not intake.rights:
        raise RequestError(_("Please choose at least one right."))
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
        reference=next_reference(received_on.year),
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

    if entered_by is None and owner is not None:
        _send(request, "received")
        _verified_by_email(request, VerificationMethod.ACCOUNT, quiet=True)
    elif request.answer_email and (entered_by is None or intake.extra.get("send_verification")):
        challenge = verification.issue(
            request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
        )
        record(request, EventKind.VERIFICATION_SENT, actor=entered_by)
        _send(request, "received", challenge)
    return request


def _link_duplicate(request: SubjectRequest) -> None:
    """A second request for the same right, from the same requester to the same address,
    rides on the first one's work while that is open. Only a verified first request counts:
    an unconfirmed one may have been filed by someone else."""
    if not request.email:
        return
    earlier = (
        SubjectRequest.objects.filter(
            email__iexact=request.email,
            requester_type=request.requester_type,
            agent_email__iexact=request.agent_email,
            requested_rights__right__in=request.rights,
            duplicate_of__isnull=True,
            status__in=[Status.VERIFIED, Status.IN_PROGRESS, Status.IN_REVIEW],
        )
        .exclude(pk=request.pk)
        .order_by("received_at")
        .first()
    )
    if earlier is not None and not _same_work(request, earlier):
        earlier = None
    if earlier is not None:
        request.duplicate_of = earlier
        request.save(update_fields=["duplicate_of"])
        record(request, EventKind.LINKED, data={"reference": earlier.reference})


def _same_work(request: SubjectRequest, earlier: SubjectRequest) -> bool:
    from connectors.plans import plan_key

    def keys(item: SubjectRequest) -> set[str]:
        return {plan_key(r.right, r.details) for r in item.requested_rights.all()}

    return bool(keys(request) & keys(earlier))


# --- verification ---------------------------------------------------------------------------------


def _verified_by_email(request: SubjectRequest, method: str, *, quiet: bool = False) -> None:
    if request.requester_type == RequesterType.AGENT:
        # The agent controls the address; authority still needs the officer (and the subject).
        record(request, EventKind.EMAIL_CONFIRMED, data={"method": method})
        if request.email and request.subject_confirmed_at is None:
            challenge = verification.issue(
                request=request, purpose=ChallengePurpose.CONFIRM_AGENT, sent_to=request.email
            )
            _send(request, "confirm_agent", challenge)
        return
    record(request, EventKind.VERIFIED, data={"method": method})
    if not quiet:
        _send(request, "verified")
    _on_verified(request)


def _on_verified(request: SubjectRequest) -> None:
    from connectors.services import start_if_ready

    transaction.on_commit(lambda: start_if_ready(SubjectRequest.objects.get(pk=request.pk)))


@transaction.atomic
def verify_with_code(request: SubjectRequest, code: str) -> Outcome:
    # The row lock orders this against the sweep, which may be expiring the same request.
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.AWAITING_VERIFICATION:
        return Outcome.NONE
    outcome, challenge = verification.check_code(request, ChallengePurpose.VERIFY, code)
    if outcome == Outcome.OK:
        _verified_by_email(request, VerificationMethod.EMAIL_CODE)
    elif (
        outcome == Outcome.LOCKED
        and challenge is not None
        and not request.events.filter(kind=EventKind.VERIFICATION_LOCKED).exists()
    ):
        record(request, EventKind.VERIFICATION_LOCKED)
    return outcome


@transaction.atomic
def verify_with_link(token: str) -> tuple[Outcome, SubjectRequest | None]:
    challenge = verification.find_by_token(token, ChallengePurpose.VERIFY)
    if challenge is not None:
        SubjectRequest.objects.select_for_update().get(pk=challenge.request_id)
    outcome, challenge = verification.check_token(token, ChallengePurpose.VERIFY)
    request = challenge.request if challenge else None
    if outcome == Outcome.OK and request is not None:
        request.refresh_from_db()
        if request.status == Status.AWAITING_VERIFICATION:
            _verified_by_email(request, VerificationMethod.EMAIL_LINK)
        else:
            outcome = Outcome.NONE
    return outcome, request


@transaction.atomic
def resend_verification(request: SubjectRequest) -> int:
    """Send a fresh code; returns 0, or the seconds to wait before another may be sent."""
    if request.status != Status.AWAITING_VERIFICATION or not request.answer_email:
        return 0
    if verification.exhausted(request, ChallengePurpose.VERIFY):
        raise RequestError(
            _("Too many wrong codes. Our privacy team will contact you to confirm your identity.")
        )
    wait = verification.seconds_until_resend(request, ChallengePurpose.VERIFY)
    if wait:
        return wait
    challenge = verification.issue(
        request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
    )
    _send(request, "verification_code", challenge)
    return 0


@transaction.atomic
def confirm_agent(token: str, *, confirmed: bool) -> tuple[Outcome, SubjectRequest | None]:
    found = verification.find_by_token(token, ChallengePurpose.CONFIRM_AGENT)
    if found is not None:
        SubjectRequest.objects.select_for_update().get(pk=found.request_id)
    outcome, challenge = verification.check_token(token, ChallengePurpose.CONFIRM_AGENT)
    request = challenge.request if challenge else None
    if outcome != Outcome.OK or request is None or not request.is_open:
        return (Outcome.NONE if outcome == Outcome.OK else outcome), request
    if confirmed:
        request.subject_confirmed_at = timezone.now()
        request.save(update_fields=["subject_confirmed_at"])
        record(request, EventKind.SUBJECT_CONFIRMED)
    else:
        record(
            request,
            EventKind.SUBJECT_REJECTED,
            reason="The data subject stated that the agent is not authorised.",
        )
        _send(request, "agent_rejected")
    return outcome, request


@transaction.atomic
def verify_manually(request: SubjectRequest, *, officer: User, reason: str) -> None:
    if not reason.strip():
        raise RequestError(_("Please record how the identity was verified."))
    if request.status not in (Status.RECEIVED, Status.AWAITING_VERIFICATION):
        raise RequestError(_("This request is not waiting for verification."))
    _verified_by_officer(request, officer, reason)


def _verified_by_officer(request: SubjectRequest, officer: User, reason: str) -> None:
    record(
        request,
        EventKind.VERIFIED,
        actor=officer,
        reason=reason.strip(),
        data={"method": VerificationMethod.OFFICER},
    )
    _send(request, "verified")
    _on_verified(request)


# --- status page access ---------------------------------------------------------------------------


@transaction.atomic
def send_status_code(request: SubjectRequest) -> int:
    to = request.answer_email
    if not to:
        return 0
    if verification.exhausted(request, ChallengePurpose.STATUS_ACCESS):
        raise RequestError(_("Too many wrong codes. Please contact our privacy team."))
    wait = verification.seconds_until_resend(request, ChallengePurpose.STATUS_ACCESS)
    if wait:
        return wait
    challenge = verification.issue(
        request=request, purpose=ChallengePurpose.STATUS_ACCESS, sent_to=to
    )
    _send(request, "status_code", challenge)
    return 0


def check_status_code(request: SubjectRequest, code: str) -> Outcome:
    outcome, _ = verification.check_code(request, ChallengePurpose.STATUS_ACCESS, code)
    return outcome


# --- the requester's own actions ------------------------------------------------------------------


@transaction.atomic
def withdraw(request: SubjectRequest) -> None:
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    record(request, EventKind.WITHDRAWN)
    _send(request, "withdrawn")


@transaction.atomic
def answer_information(
    request: SubjectRequest,
    *,
    body: str,
    upload: Upload | None = None,
    document_type: str = "",
) -> CaseMessage:
    """The requester answers an officer's question; the clock starts again."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not body.strip() and upload is None:
        raise RequestError(_("Please write an answer or attach a file."))
    questions = list(request.messages.filter(awaits_answer=True, answered_at__isnull=True))
    if upload is not None and not questions:
        raise RequestError(_("You can attach a file only when you answer a question from us."))
    message = CaseMessage.objects.create(
        request=request, direction=MessageDirection.FROM_REQUESTER, body=body.strip()
    )
    if upload is not None:
        # Anything sent before the identity is settled is verification data: it is deleted
        # at the officer's decision or when the request closes, whatever the question was.
        wants_id = any(q.asks_for_id_document for q in questions) or request.verified_at is None
        kind = FileKind.ID_DOCUMENT if wants_id else FileKind.ATTACHMENT
        stored = store_upload(
            request=request, kind=kind, upload=upload, document_type=document_type
        )
        if kind == FileKind.ID_DOCUMENT:
            record(
                request,
                EventKind.ID_DOCUMENT_UPLOADED,
                data={"file": stored.pk, "document_type": document_type},
            )
    record(request, EventKind.MESSAGE_RECEIVED, data={"message": message.pk})
    if questions:
        CaseMessage.objects.filter(pk__in=[q.pk for q in questions]).update(
            answered_at=timezone.now()
        )
        record(request, EventKind.INFO_RECEIVED, data={"message": message.pk})
    return message


# --- the officer's decisions about identity and time ----------------------------------------------


@transaction.atomic
def request_information(
    request: SubjectRequest,
    *,
    officer: User,
    question: str,
    id_document: bool = False,
    reason: str = "",
) -> CaseMessage:
    """Ask the requester for what is needed to identify them (the clock pauses, LEGAL.md §1)."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not question.strip():
        raise RequestError(_("Please write the question to the requester."))
    if id_document and not reason.strip():
        raise RequestError(_("An identity document may only be asked for with a recorded reason."))
    if id_document and request.verification_method == VerificationMethod.ACCOUNT:
        raise RequestError(
            _(
                "This person is verified by their account login; an identity document may "
                "not be asked for."
            )
        )
    if request.messages.filter(awaits_answer=True, answered_at__isnull=True).exists():
        raise RequestError(_("A question to the requester is still open."))
    message = CaseMessage.objects.create(
        request=request,
        direction=MessageDirection.TO_REQUESTER,
        body=question.strip(),
        author=officer,
        awaits_answer=True,
        asks_for_id_document=id_document,
    )
    record(
        request,
        EventKind.INFO_REQUESTED,
        actor=officer,
        reason=reason.strip(),
        data={"message": message.pk, "id_document": id_document},
    )
    _send(request, "info_requested")
    return message


@transaction.atomic
def decide_id_document(
    file: RequestFile, *, officer: User, accepted: bool, reason: str = ""
) -> None:
    """Check an identity document: it is deleted at once, leaving 'ID checked: type, date,
    officer' (LEGAL.md §3)."""
    if file.kind != FileKind.ID_DOCUMENT or file.deleted_at is not None:
        raise RequestError(_("This document has already been dealt with."))
    request = file.request
    delete_file(file)
    record(
        request,
        EventKind.ID_CHECKED,
        actor=officer,
        reason=reason.strip(),
        data={"document_type": file.document_type, "accepted": accepted},
    )
    if accepted and request.status in (Status.RECEIVED, Status.AWAITING_VERIFICATION):
        _verified_by_officer(request, officer, reason)


@transaction.atomic
def extend(request: SubjectRequest, *, officer: User, reasons: str, ground: str = "") -> None:
    """Art. 12(3): once, by two months, with reasons, notified before the one-month date.

    ``ground`` is which of the two grounds the Article allows applies (the officer's form
    requires it; "" records none, for callers from before it existed)."""
    if not reasons.strip():
        raise RequestError(_("An extension needs reasons, and they are sent to the requester."))
    if ground and ground not in ExtensionGround.values:
        raise RequestError(_("Please choose the ground of the extension."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    clock = clock_for(request)
    if request.extended or not clock.extension_allowed(today()):
        raise RequestError(
            _("The deadline can be extended only once, and only until the one-month date.")
        )
    record(
        request,
        EventKind.EXTENDED,
        actor=officer,
        reason=reasons.strip(),
        data={"ground": ground} if ground else {},
    )
    _send(request, "extended")


# --- the sweep: reminders and expiry of unverified requests ---------------------------------------


def _waiting_for_confirmation(request: SubjectRequest) -> bool:
    """Only a request whose requester has yet to confirm the e-mail address: not one waiting
    for an officer (an agent's authority), nor one paused on a question."""
    if request.status != Status.AWAITING_VERIFICATION:
        return False
    if request.events.filter(kind=EventKind.EMAIL_CONFIRMED).exists():
        return False
    if request.messages.filter(awaits_answer=True, answered_at__isnull=True).exists():
        return False
    return verification.active(request, ChallengePurpose.VERIFY) is not None


def _first_challenge_at(request: SubjectRequest) -> datetime | None:
    first = (
        request.challenges.filter(purpose=ChallengePurpose.VERIFY).order_by("created_at").first()
    )
    return first.created_at if first else None


def sweep_unverified(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind once after a few days; close as not identifiable after the configured period,
    both counted from the first confirmation e-mail (not from receipt: a letter entered late
    gets its full period)."""
    now = now or timezone.now()
    reminded = expired = 0
    expire_before = now - timedelta(days=settings.DSR_UNVERIFIED_EXPIRY_DAYS)
    remind_before = now - timedelta(days=settings.DSR_VERIFICATION_REMINDER_DAYS)
    waiting = SubjectRequest.objects.filter(
        status=Status.AWAITING_VERIFICATION,
        challenges__purpose=ChallengePurpose.VERIFY,
        challenges__created_at__lt=remind_before,
    ).distinct()
    for pk in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            request = SubjectRequest.objects.select_for_update().get(pk=pk)
            first = _first_challenge_at(request)
            if not _waiting_for_confirmation(request) or first is None:
                continue
            if first < expire_before:
                expired += _expire(request)
            elif first < remind_before:
                reminded += _remind(request)
    return reminded, expired


def _expire(request: SubjectRequest) -> int:
    record(
        request,
        EventKind.EXPIRED,
        reason="Identity not confirmed within the verification period (Art. 12(2), 11(2)).",
    )
    _send(request, "expired")
    return 1


def _remind(request: SubjectRequest) -> int:
    if not request.answer_email:
        return 0
    if request.events.filter(kind=EventKind.VERIFICATION_REMINDER).exists():
        return 0
    challenge = verification.issue(
        request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
    )
    record(request, EventKind.VERIFICATION_REMINDER)
    _send(request, "verification_reminder", challenge)
    return 1


def refresh_open_clocks() -> int:
    """Paused clocks move every day; keep the cached due dates current."""
    count = 0
    for request in SubjectRequest.objects.filter(paused=True):
        with transaction.atomic():
            refresh(request)
        count += 1
    return count


def staff_members() -> "QuerySet[User]":
    """Everyone who may work cases (the privacy officer and admin roles)."""
    from accounts.models import User

    return (
        User.objects.filter(
            is_active=True,
            groups__permissions__codename="work_cases",
            groups__permissions__content_type__app_label="accounts",
        )
        .distinct()
        .order_by("email")
    )


@transaction.atomic
def assign(request: SubjectRequest, *, officer: User, assignee: User | None) -> None:
    """Give the case to an officer (or back to the pool); recorded with who did it."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if assignee is not None and not staff_members().filter(pk=assignee.pk).exists():
        raise RequestError(_("Cases can only be assigned to privacy officers."))
    if request.assignee_id == (assignee.pk if assignee else None):
        return
    request.assignee = assignee
    request.save(update_fields=["assignee"])
    record(
        request,
        EventKind.ASSIGNED,
        actor=officer,
        data={"assignee": assignee.pk if assignee else None},
    )


@transaction.atomic
def assign_many(ids: Iterable[int], *, officer: User, assignee: User | None) -> int:
    """Bulk assignment from the queue: each open request of ``ids`` (closed ones are left
    alone), each recorded; returns how many were assigned."""
    count = 0
    for request in SubjectRequest.objects.filter(pk__in=list(ids)).order_by("pk"):
        if request.is_open:
            assign(request, officer=officer, assignee=assignee)
            count += 1
    return count


@transaction.atomic
def add_note(request: SubjectRequest, *, officer: User, body: str) -> None:
    """An internal note; the timeline records that one was written, not what it says."""
    from dsr.models import CaseNote

    if not body.strip():
        raise RequestError(_("Write the note first."))
    note = CaseNote.objects.create(request=request, author=officer, body=body.strip())
    record(request, EventKind.NOTE_ADDED, actor=officer, data={"note": note.pk})
