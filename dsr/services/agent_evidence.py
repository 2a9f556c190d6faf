"""Reviewing an agent's evidence of authority: the officer accepts it with a reason, or says
what is wrong with it and the agent may send new evidence (LEGAL.md §3, §7)."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.files import delete_file
from dsr.models import (
    EventKind,
    FileKind,
    QuestionPurpose,
    RequesterType,
    RequestFile,
    Status,
    SubjectRequest,
)
from dsr.services import questions, verification

DECIDED = (EventKind.EVIDENCE_ACCEPTED, EventKind.EVIDENCE_REJECTED)


def undecided(request: SubjectRequest) -> set[int]:
    """The ids of the agent's evidence files nobody has reviewed yet."""
    decided = {event.data.get("file") for event in request.events.filter(kind__in=DECIDED)}
    return {
        pk
        for pk in request.files.filter(
            kind=FileKind.AGENT_EVIDENCE, deleted_at__isnull=True
        ).values_list("pk", flat=True)
        if pk not in decided
    }


def _reviewable(file: RequestFile, reason: str) -> SubjectRequest:
    request = SubjectRequest.objects.select_for_update().get(pk=file.request_id)
    if (
        file.kind != FileKind.AGENT_EVIDENCE
        or request.requester_type != RequesterType.AGENT
        or file.pk not in undecided(request)
    ):
        raise RequestError(_("This evidence has already been dealt with."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not reason.strip():
        raise RequestError(_("Please give the reason for your decision on the evidence."))
    return request


@transaction.atomic
def accept_evidence(file: RequestFile, *, officer: User, reason: str) -> bool:
    """The evidence proves the agent's authority; it is kept as the record of it. If the
    agent has confirmed their address, the request is verified now. Returns whether it is."""
    request = _reviewable(file, reason)
    record(
        request,
        EventKind.EVIDENCE_ACCEPTED,
        actor=officer,
        reason=reason.strip(),
        data={"file": file.pk},
    )
    if request.status in (
        Status.RECEIVED,
        Status.AWAITING_VERIFICATION,
    ) and verification.agent_address_confirmed(request):
        verification.verified_by_officer(request, officer=officer, reason=reason)
        return True
    return False


@transaction.atomic
def reject_evidence(file: RequestFile, *, officer: User, reason: str) -> None:
    """The evidence does not prove the authority: it is deleted (verification data is kept no
    longer than needed; the event keeps the reference), and the agent is told in the request's
    language what is wrong and that they may send new evidence. That is a question about the
    agent's authority, so it stops the clock when asked without undue delay; the request stays
    unverified until new evidence is accepted or the person confirms the agent."""
    request = _reviewable(file, reason)
    record(
        request,
        EventKind.EVIDENCE_REJECTED,
        actor=officer,
        reason=reason.strip(),
        data={"file": file.pk},
    )
    # Refused while another question is open: then nothing is recorded or deleted.
    questions.request_information(
        request,
        officer=officer,
        question=reason.strip(),
        purpose=QuestionPurpose.AUTHORITY,
        letter="evidence_rejected",
    )
    delete_file(file)
