"""Questions to the requester and their answers (the clock pauses and starts again)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.files import Upload, store_upload
from dsr.core.messages import send_to_requester
from dsr.models import (
    PAUSING_PURPOSES,
    CaseMessage,
    EventKind,
    FileKind,
    MessageDirection,
    QuestionPurpose,
    RequesterType,
    SubjectRequest,
    VerificationMethod,
)


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
        # An agent asked about their authority sends new evidence of it, for the officer's
        # review like the evidence filed with the request.
        wants_id = any(q.asks_for_id_document for q in questions) or request.verified_at is None
        wants_evidence = request.requester_type == RequesterType.AGENT and any(
            q.purpose == QuestionPurpose.AUTHORITY for q in questions
        )
        if wants_evidence:
            kind = FileKind.AGENT_EVIDENCE
        else:
            kind = FileKind.ID_DOCUMENT if wants_id else FileKind.ATTACHMENT
        stored = store_upload(
            request=request,
            kind=kind,
            upload=upload,
            document_type="" if wants_evidence else document_type,
        )
        if kind == FileKind.AGENT_EVIDENCE:
            record(request, EventKind.EVIDENCE_UPLOADED, data={"file": stored.pk})
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
        if any(q.purpose in PAUSING_PURPOSES for q in questions):
            record(request, EventKind.INFO_RECEIVED, data={"message": message.pk})
    return message


@transaction.atomic
def request_information(
    request: SubjectRequest,
    *,
    officer: User,
    question: str,
    purpose: str,
    id_document: bool = False,
    reason: str = "",
    letter: str = "info_requested",
) -> CaseMessage:
    """Ask the requester something. Only a question about their identity, an agent's
    authority or, where a large quantity is processed, the scope stops the clock until the
    answer arrives (LEGAL.md §1); any other is a plain message and the clock keeps running.
    ``letter``: the e-mail that carries the question (a rejected agent's evidence has its own)."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not question.strip():
        raise RequestError(_("Please write the question to the requester."))
    if purpose not in QuestionPurpose.values:
        raise RequestError(_("Say what the question is for: only some questions stop the clock."))
    if id_document and purpose != QuestionPurpose.IDENTITY:
        raise RequestError(
            _("An identity document may only be asked for when the identity is in doubt.")
        )
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
        purpose=purpose,
    )
    record(
        request,
        # Only this event stops the clock (dsr.core.clock); the others are messages.
        EventKind.INFO_REQUESTED if purpose in PAUSING_PURPOSES else EventKind.MESSAGE_SENT,
        actor=officer,
        reason=reason.strip(),
        data={"message": message.pk, "id_document": id_document, "purpose": purpose},
    )
    send_to_requester(request, letter)
    return message


def close_questions(request: SubjectRequest, *, purpose: str) -> None:
    """Open questions of this purpose that need no answer any more (an agent's authority was
    proven another way): they count as answered, so a clock they stopped runs again."""
    waiting = list(
        request.messages.filter(awaits_answer=True, answered_at__isnull=True, purpose=purpose)
    )
    if not waiting:
        return
    CaseMessage.objects.filter(pk__in=[q.pk for q in waiting]).update(answered_at=timezone.now())
    if purpose in PAUSING_PURPOSES:
        record(
            request,
            EventKind.INFO_RECEIVED,
            data={"messages": [q.pk for q in waiting], "no_longer_needed": True},
        )
