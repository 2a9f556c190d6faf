"""Verifying the requester: by e-mail code or link, by the person an agent acts for, by an
officer; reminders and expiry of requests nobody confirmed.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core import challenges
from dsr.core.challenges import Outcome
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.files import delete_file
from dsr.core.messages import send_to_requester
from dsr.models import (
    ChallengePurpose,
    EventKind,
    FileKind,
    QuestionPurpose,
    RequesterType,
    RequestFile,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.processing.start import start_when_committed
from dsr.services import questions


def authority_proven(request: SubjectRequest) -> bool:
    """An agent may be answered only once their authority is proven: an officer accepted the
    evidence (with a reason), or the person they act for confirmed them (LEGAL.md §3). A
    request the person makes themselves needs no such proof."""
    if request.requester_type != RequesterType.AGENT:
        return True
    return (
        request.subject_confirmed_at is not None
        or request.events.filter(kind=EventKind.EVIDENCE_ACCEPTED).exists()
    )


def authority_missing() -> str:
    return _(
        "This request was made by an agent. It can be verified only once the agent's authority "
        "is proven: accept their evidence of authority (with a reason) under Documents, or wait "
        "until the person they act for confirms them. Neither has happened yet."
    )


def verified_by_email(request: SubjectRequest, method: str, *, quiet: bool = False) -> None:
    if request.requester_type == RequesterType.AGENT:
        # The agent controls the address; their authority is proven separately.
        record(request, EventKind.EMAIL_CONFIRMED, data={"method": method})
        if authority_proven(request):
            # The evidence was accepted before the agent confirmed the address.
            _verified(request, method=VerificationMethod.OFFICER, quiet=quiet)
        elif request.email and request.subject_confirmed_at is None:
            challenge = challenges.issue(
                request=request, purpose=ChallengePurpose.CONFIRM_AGENT, sent_to=request.email
            )
            send_to_requester(request, "confirm_agent", challenge)
        return
    _verified(request, method=method, quiet=quiet)


def _verified(
    request: SubjectRequest,
    *,
    method: str,
    officer: User | None = None,
    reason: str = "",
    quiet: bool = False,
) -> None:
    """The one place a request becomes verified: never an agent's without proven authority."""
    if not authority_proven(request):
        raise RequestError(authority_missing())
    # A question about the agent's authority that is still open needs no answer now.
    questions.close_questions(request, purpose=QuestionPurpose.AUTHORITY)
    record(request, EventKind.VERIFIED, actor=officer, reason=reason, data={"method": method})
    if not quiet:
        send_to_requester(request, "verified")
    start_when_committed(request)


def agent_address_confirmed(request: SubjectRequest) -> bool:
    return request.events.filter(kind=EventKind.EMAIL_CONFIRMED).exists()


@transaction.atomic
def verify_with_code(request: SubjectRequest, code: str) -> Outcome:
    # The row lock orders this against the sweep, which may be expiring the same request.
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.AWAITING_VERIFICATION:
        return Outcome.NONE
    outcome, challenge = challenges.check_code(request, ChallengePurpose.VERIFY, code)
    if outcome == Outcome.OK:
        verified_by_email(request, VerificationMethod.EMAIL_CODE)
    elif (
        outcome == Outcome.LOCKED
        and challenge is not None
        and not request.events.filter(kind=EventKind.VERIFICATION_LOCKED).exists()
    ):
        record(request, EventKind.VERIFICATION_LOCKED)
    return outcome


@transaction.atomic
def verify_with_link(token: str) -> tuple[Outcome, SubjectRequest | None]:
    challenge = challenges.find_by_token(token, ChallengePurpose.VERIFY)
    if challenge is not None:
        SubjectRequest.objects.select_for_update().get(pk=challenge.request_id)
    outcome, challenge = challenges.check_token(token, ChallengePurpose.VERIFY)
    request = challenge.request if challenge else None
    if outcome == Outcome.OK and request is not None:
        request.refresh_from_db()
        if request.status == Status.AWAITING_VERIFICATION:
            verified_by_email(request, VerificationMethod.EMAIL_LINK)
        else:
            outcome = Outcome.NONE
    return outcome, request


@transaction.atomic
def resend_verification(request: SubjectRequest) -> int:
    """Send a fresh code; returns 0, or the seconds to wait before another may be sent."""
    if request.status != Status.AWAITING_VERIFICATION or not request.answer_email:
        return 0
    if challenges.exhausted(request, ChallengePurpose.VERIFY):
        raise RequestError(
            _("Too many wrong codes. Our privacy team will contact you to confirm your identity.")
        )
    wait = challenges.seconds_until_resend(request, ChallengePurpose.VERIFY)
    if wait:
        return wait
    challenge = challenges.issue(
        request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
    )
    send_to_requester(request, "verification_code", challenge)
    return 0


@transaction.atomic
def confirm_agent(token: str, *, confirmed: bool) -> tuple[Outcome, SubjectRequest | None]:
    found = challenges.find_by_token(token, ChallengePurpose.CONFIRM_AGENT)
    if found is not None:
        SubjectRequest.objects.select_for_update().get(pk=found.request_id)
    outcome, challenge = challenges.check_token(token, ChallengePurpose.CONFIRM_AGENT)
    request = challenge.request if challenge else None
    if outcome != Outcome.OK or request is None or not request.is_open:
        return (Outcome.NONE if outcome == Outcome.OK else outcome), request
    if confirmed:
        request.subject_confirmed_at = timezone.now()
        request.save(update_fields=["subject_confirmed_at"])
        record(request, EventKind.SUBJECT_CONFIRMED)
        # The confirmation is the proof of authority, and the agent confirmed their address
        # before it was asked for: the request goes on without waiting for an officer.
        if request.status == Status.AWAITING_VERIFICATION and agent_address_confirmed(request):
            _verified(request, method=VerificationMethod.AGENT_CONFIRMED)
    else:
        record(
            request,
            EventKind.SUBJECT_REJECTED,
            reason="The data subject stated that the agent is not authorised.",
        )
        send_to_requester(request, "agent_rejected")
    return outcome, request


@transaction.atomic
def verify_manually(request: SubjectRequest, *, officer: User, reason: str) -> None:
    if not reason.strip():
        raise RequestError(_("Please record how the identity was verified."))
    if request.status not in (Status.RECEIVED, Status.AWAITING_VERIFICATION):
        raise RequestError(_("This request is not waiting for verification."))
    verified_by_officer(request, officer=officer, reason=reason)


def verified_by_officer(request: SubjectRequest, *, officer: User, reason: str) -> None:
    """An officer verified the requester (refused for an agent whose authority is unproven)."""
    _verified(request, method=VerificationMethod.OFFICER, officer=officer, reason=reason.strip())


@transaction.atomic
def decide_id_document(
    file: RequestFile, *, officer: User, accepted: bool, reason: str = ""
) -> bool:
    """Check an identity document: it is deleted at once, leaving 'ID checked: type, date,
    officer' (LEGAL.md §3). Returns whether the request is now verified: an agent's waits
    for the proof of their authority."""
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
    if (
        accepted
        and request.status in (Status.RECEIVED, Status.AWAITING_VERIFICATION)
        and authority_proven(request)
    ):
        verified_by_officer(request, officer=officer, reason=reason)
        return True
    return False


def _waiting_for_confirmation(request: SubjectRequest) -> bool:
    """Only a request whose requester has yet to confirm the e-mail address: not one waiting
    for an officer (an agent's authority), nor one paused on a question."""
    if request.status != Status.AWAITING_VERIFICATION:
        return False
    if request.events.filter(kind=EventKind.EMAIL_CONFIRMED).exists():
        return False
    if request.messages.filter(awaits_answer=True, answered_at__isnull=True).exists():
        return False
    return challenges.active(request, ChallengePurpose.VERIFY) is not None


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
    send_to_requester(request, "expired")
    return 1


def _remind(request: SubjectRequest) -> int:
    if not request.answer_email:
        return 0
    if request.events.filter(kind=EventKind.VERIFICATION_REMINDER).exists():
        return 0
    challenge = challenges.issue(
        request=request, purpose=ChallengePurpose.VERIFY, sent_to=request.answer_email
    )
    record(request, EventKind.VERIFICATION_REMINDER)
    send_to_requester(request, "verification_reminder", challenge)
    return 1
