"""The case page's actions as one table: each name has its form and one small handler.

A handler parses what its form cleaned, calls one use case and returns the message for the
officer; a use case that refuses raises ``RequestError``, whose text is shown instead.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.access import staff_user
from accounts.models import User
from dsr.core import four_eyes
from dsr.core.errors import RequestError
from dsr.core.rehearsal import Rehearsal, rehearse
from dsr.models import AnswerPackage, FileKind, SubjectRequest
from dsr.selectors import case
from dsr.services import agent_evidence as evidence
from dsr.services import (
    answers,
    assignment,
    completion,
    decisions,
    deliveries,
    erasure_approval,
    extension,
    fees,
    forwarding,
    jobs,
    matter,
    notes,
    notices,
    publication,
    questions,
    rectification,
    restriction,
    retention,
    transmission,
    verification,
)
from dsr.staff_forms import (
    ApproveForm,
    AskForm,
    AssignForm,
    ChangesForm,
    DecideIdForm,
    DecisionReviewForm,
    DeliveryForm,
    DoneByHandForm,
    ErasureDecisionForm,
    ErasureGoAheadForm,
    EvidenceForm,
    ExtendForm,
    FeeForm,
    FeePaidForm,
    ForwardForm,
    JobForm,
    LegalHoldForm,
    MatterForm,
    NoteForm,
    NoticeForm,
    ObjectionDecisionForm,
    ProposalForm,
    RedactForm,
    RedactionForm,
    RefusalForm,
    SendBackForm,
    SkipForm,
    TransmissionNotFeasibleForm,
    VerifyForm,
)

Data = dict[str, Any]


@dataclass(frozen=True)
class Done:
    """What the officer is told: a success, or a warning when it worked with a caveat."""

    text: str
    level: int = messages.SUCCESS


Handler = Callable[[SubjectRequest, User, Data], Done]


Confirms = Callable[[SubjectRequest, Data], bool]


def always(item: SubjectRequest, data: Data) -> bool:
    return True


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Handler
    back: str = "staff:case"  # the page the officer returns to
    # What the form needs of the case (the choices it offers): the page passes the same.
    form_kwargs: Callable[[SubjectRequest], Data] | None = None
    # An action that sends something or cannot be undone is first rehearsed: the officer sees
    # the letters it would send, as they would go, and confirms (``dsr.core.rehearsal``).
    confirm: Confirms | None = None
    title: Promise | str = ""  # what the preview page asks to confirm
    # What else the preview shows of the case as it is (what an erasure will do).
    shows: Callable[[SubjectRequest, Data], Data] | None = None


# --- identity, questions, time -------------------------------------------------------------------


def _verify(item: SubjectRequest, officer: User, data: Data) -> Done:
    verification.verify_manually(item, officer=officer, reason=data["reason"])
    return Done(_("The identity is recorded as verified."))


def _ask(item: SubjectRequest, officer: User, data: Data) -> Done:
    questions.request_information(
        item,
        officer=officer,
        question=data["question"],
        purpose=data["purpose"],
        id_document=data["id_document"],
        reason=data["reason"],
    )
    item.refresh_from_db()
    if item.paused:
        return Done(_("The question was sent; the clock is paused."))
    return Done(
        _(
            "The question was sent. It came too late after receipt to pause the "
            "clock, which keeps running."
        ),
        messages.WARNING,
    )


def _extend(item: SubjectRequest, officer: User, data: Data) -> Done:
    extension.extend(
        item,
        officer=officer,
        reasons=data["reasons"],
        ground=data["ground"],
        facts=list(data["facts"]),
    )
    return Done(_("The deadline was extended and the requester told why."))


def _decide_id(item: SubjectRequest, officer: User, data: Data) -> Done:
    file = get_object_or_404(item.files, pk=data["file"], kind=FileKind.ID_DOCUMENT)
    verification.decide_id_document(
        file, officer=officer, accepted=data["accepted"], reason=data["reason"]
    )
    if data["accepted"] and not verification.authority_proven(item):
        return Done(
            _(
                "The document was checked and deleted. The request stays unverified until the "
                "agent's authority is proven."
            ),
            messages.WARNING,
        )
    return Done(_("The document was checked and deleted."))


def _evidence(item: SubjectRequest, officer: User, data: Data) -> Done:
    file = get_object_or_404(item.files, pk=data["file"], kind=FileKind.AGENT_EVIDENCE)
    if not data["accepted"]:
        evidence.reject_evidence(file, officer=officer, reason=data["reason"])
        return Done(
            _(
                "The agent was told what is wrong with the evidence and that they may send new "
                "evidence; the request stays unverified."
            )
        )
    if evidence.accept_evidence(file, officer=officer, reason=data["reason"]):
        return Done(_("The evidence is accepted and the request verified."))
    return Done(
        _(
            "The evidence is accepted. The request is verified once the agent's identity is "
            "confirmed (their e-mail address, or by you)."
        )
    )


# --- decisions (through dsr.services.decisions: it knows whether a second officer is needed) -----


def _payload(kind: str, data: Data) -> Data:
    if kind == "refusal":
        return {
            "ground": data["ground"],
            "statute": data.get("statute", ""),
            "partial": bool(data.get("partial")),
            "sub_ground": data.get("sub_ground", ""),
        }
    if kind == "objection":
        return {"upheld": bool(data["upheld"])}
    if kind == "decision_review":
        return {
            "activity": data["activity"],
            "reviewer_role": data["reviewer_role"],
            "view_considered": bool(data["view_considered"]),
            "outcome": data["outcome"],
        }
    if kind == "fee":
        return {
            "basis": data["basis"],
            "amount": data["amount"],
            "currency": data["currency"],
            "sub_ground": data.get("sub_ground", ""),
        }
    return {}


def _decided(kind: str, payload: Data) -> Done:
    if kind == "erasure":
        return Done(_("Approved: the systems are being processed."))
    if kind == "fee":
        return Done(
            _(
                "The fee letter was sent. The answer goes out once the payment is recorded; the "
                "due date stays as it was."
            )
        )
    if kind == "objection" and payload.get("upheld"):
        return Done(
            _(
                "The objection is upheld. Once the systems have answered, complete the request: "
                "the letter tells the requester that the processing stopped."
            )
        )
    if kind == "decision_review":
        return Done(
            _(
                "The review of the automated decision is on record. Complete the request: the "
                "letter tells the requester the outcome and its reasons."
            )
        )
    return Done(_("The refusal was sent to the requester with the reasons and the remedies."))


def review_form_kwargs(item: SubjectRequest) -> Data:
    return {"activities": case.review_activity_choices(item)}


def _takes_effect(kind: str) -> Confirms:
    """A decision is confirmed when it takes effect now; a proposal can be withdrawn and waits
    for the second officer, who confirms it when approving."""

    def confirms(item: SubjectRequest, data: Data) -> bool:
        return not four_eyes.needs_second_officer(item, kind)

    return confirms


def _decision(kind: str) -> Handler:
    def run(item: SubjectRequest, officer: User, data: Data) -> Done:
        payload = _payload(kind, data)
        reason = str(data["reason"])
        if four_eyes.needs_second_officer(item, kind):
            decisions.propose(item, officer=officer, kind=kind, reason=reason, payload=payload)
            return Done(_("Proposed: another officer must approve it before it takes effect."))
        decisions.decide(item, officer=officer, kind=kind, reason=reason, payload=payload)
        return _decided(kind, payload)

    return run


def _fee_paid(item: SubjectRequest, officer: User, data: Data) -> Done:
    fees.record_payment(item, officer=officer, note=str(data["reason"]))
    return Done(_("The payment is recorded; the request goes on."))


def _go_ahead(item: SubjectRequest, officer: User, data: Data) -> Done:
    erasure_approval.go_ahead(item, officer=officer, reason=str(data["reason"]))
    return Done(_("Recorded: the erasure need not wait for the person's other requests."))


def _approve_proposal(item: SubjectRequest, officer: User, data: Data) -> Done:
    proposal = get_object_or_404(item.proposals, pk=data["proposal"])
    decisions.approve(proposal, officer=officer, reason=str(data.get("reason", "")))
    return _decided(proposal.kind, proposal.payload)


def _proposed_erasure(item: SubjectRequest, data: Data) -> Data:
    """Approving a proposed erasure: what each system will do, as on the case page."""
    if not item.proposals.filter(pk=data["proposal"], kind="erasure").exists():
        return {}
    return {"erasure": case.erasure_review(item)}


def _send_back(item: SubjectRequest, officer: User, data: Data) -> Done:
    proposal = get_object_or_404(item.proposals, pk=data["proposal"])
    decisions.reject(proposal, officer=officer, reason=str(data.get("reason", "")))
    return Done(_("The proposal was sent back with your reason."))


def _withdraw_proposal(item: SubjectRequest, officer: User, data: Data) -> Done:
    proposal = get_object_or_404(item.proposals, pk=data["proposal"])
    decisions.withdraw(proposal, officer=officer, reason=str(data.get("reason", "")))
    return Done(_("The proposal is withdrawn."))


def _hold(item: SubjectRequest, officer: User, data: Data) -> Done:
    retention.set_legal_hold(item, admin=officer, hold=data["hold"], reason=data["reason"])
    if data["hold"]:
        return Done(_("The request is on legal hold."))
    return Done(_("The legal hold is released."))


# --- the systems ----------------------------------------------------------------------------------


def _retry(item: SubjectRequest, officer: User, data: Data) -> Done:
    jobs.retry_job(get_object_or_404(item.jobs, pk=data["job"]), officer=officer)
    return Done(_("The job was started again."))


def _retry_delivery(item: SubjectRequest, officer: User, data: Data) -> Done:
    deliveries.retry_delivery(
        get_object_or_404(item.deliveries, pk=data["delivery"]), officer=officer
    )
    return Done(_("It is being sent again."))


def _retry_failed(item: SubjectRequest, officer: User, data: Data) -> Done:
    count = jobs.retry_failed(item, officer=officer)
    return Done(
        ngettext(
            "%(count)d failed job was started again.",
            "%(count)d failed jobs were started again.",
            count,
        )
        % {"count": count}
    )


def _skip(item: SubjectRequest, officer: User, data: Data) -> Done:
    job = get_object_or_404(item.jobs, pk=data["job"])
    jobs.skip_job(job, officer=officer, reason=str(data["reason"]))
    return Done(_("The system was skipped; the reason is on record."))


def _done_by_hand(item: SubjectRequest, officer: User, data: Data) -> Done:
    job = get_object_or_404(item.jobs, pk=data["job"])
    jobs.done_another_way(job, officer=officer, note=str(data["note"]))
    return Done(_("Recorded as done another way."))


def _notify_lift(item: SubjectRequest, officer: User, data: Data) -> Done:
    restriction.notify_restriction_lift(item, officer=officer)
    return Done(_("The requester was told that the restriction will be lifted."))


def _lift(item: SubjectRequest, officer: User, data: Data) -> Done:
    restriction.lift_restriction(item, officer=officer)
    return Done(_("The restriction is being lifted in every system."))


def _changes(item: SubjectRequest, officer: User, data: Data) -> Done:
    changes = rectification.parse_changes(str(data["changes"]), allow_empty=True)
    rectification.set_rectification(item, officer=officer, changes=changes)
    return Done(_("The corrections are being made."))


def _notice(item: SubjectRequest, officer: User, data: Data) -> Done:
    notice = get_object_or_404(item.notices, pk=data["notice"])
    notices.decide_notice(
        notice, officer=officer, notified=bool(data["notified"]), reason=str(data["reason"])
    )
    return Done(_("The notification of the recipient is on record."))


def _publication_notice(item: SubjectRequest, officer: User, data: Data) -> Done:
    notice = get_object_or_404(item.publication_notices, pk=data["notice"])
    publication.decide(
        notice, officer=officer, informed=bool(data["notified"]), reason=str(data["reason"])
    )
    return Done(_("Whether the controller was informed is on record."))


# --- the answer -----------------------------------------------------------------------------------


def _complete(item: SubjectRequest, officer: User, data: Data) -> Done:
    completion.complete(item, officer=officer)
    return Done(_("The request is completed and the requester told."))


def _package(item: SubjectRequest) -> AnswerPackage:
    package = item.packages.filter(deleted_at__isnull=True).first()
    if package is None:
        raise RequestError(_("There is no answer package yet."))
    return package


def _release(item: SubjectRequest, officer: User, data: Data) -> Done:
    answers.release(_package(item), officer=officer)
    return Done(_("The answer was sent; the request is completed."))


def _reissue(item: SubjectRequest, officer: User, data: Data) -> Done:
    answers.reissue(_package(item), officer=officer)
    return Done(_("The download was renewed and the requester told."))


def _not_feasible(item: SubjectRequest, officer: User, data: Data) -> Done:
    transmission.record_not_feasible(item, officer=officer, reason=str(data["reason"]))
    return Done(_("Recorded: the direct transmission is not feasible; the answer letter says why."))


def redact_form_kwargs(item: SubjectRequest) -> Data:
    return {"systems": case.systems(item)}


def _redact(item: SubjectRequest, officer: User, data: Data) -> Done:
    answers.redact(
        item,
        officer=officer,
        text=str(data["text"]),
        reason=str(data["reason"]),
        system=str(data["system"]),
        category=str(data["category"]),
    )
    return Done(_("The text is redacted in every file; the package is being built again."))


def _withdraw_redaction(item: SubjectRequest, officer: User, data: Data) -> Done:
    redaction = get_object_or_404(item.redactions, pk=data["redaction"])
    answers.withdraw_redaction(redaction, officer=officer, reason=str(data["reason"]))
    return Done(_("The redaction is withdrawn; the package is being built again without it."))


# --- the case itself ------------------------------------------------------------------------------


def forward_form_kwargs(item: SubjectRequest) -> Data:
    return {"systems": case.system_choices(item)}


def _forward(item: SubjectRequest, officer: User, data: Data) -> Done:
    done = forwarding.forward(
        item,
        party=data["party"],
        officer=officer,
        systems=list(data.get("systems") or []),
        note=str(data.get("note") or ""),
    )
    return Done(
        _(
            "Forwarded to %(party)s. It receives the signed message, and the requester a letter "
            "saying who handles what."
        )
        % {"party": done.party.name}
    )


def _note(item: SubjectRequest, officer: User, data: Data) -> Done:
    notes.add_note(item, officer=officer, body=str(data["body"]))
    return Done(_("The note is saved."))


def _matter(item: SubjectRequest, officer: User, data: Data) -> Done:
    matter.set_matter(item, officer=officer, matter=str(data["matter"]), reason=str(data["reason"]))
    return Done(_("Recorded: the letters from now on name the authority competent for this."))


def _assign(item: SubjectRequest, officer: User, data: Data) -> Done:
    assignee = data["assignee"]
    assignment.assign(
        item, officer=officer, assignee=assignee if isinstance(assignee, User) else None
    )
    return Done(_("The assignment is recorded."))


ACTIONS: dict[str, Action] = {
    "verify": Action(
        VerifyForm, _verify, confirm=always, title=gettext_lazy("Record the identity as verified")
    ),
    "ask": Action(AskForm, _ask, confirm=always, title=gettext_lazy("Ask the requester")),
    "extend": Action(
        ExtendForm, _extend, confirm=always, title=gettext_lazy("Extend the deadline")
    ),
    "decide": Action(
        DecideIdForm,
        _decide_id,
        confirm=always,
        title=gettext_lazy("Record the check and delete the document"),
    ),
    "evidence": Action(
        EvidenceForm,
        _evidence,
        confirm=always,
        title=gettext_lazy("Decide on the agent's evidence"),
    ),
    "erasure": Action(
        ErasureDecisionForm,
        _decision("erasure"),
        confirm=_takes_effect("erasure"),
        title=gettext_lazy("Approve the erasure"),
        shows=lambda item, data: {"erasure": case.erasure_review(item)},
    ),
    "erasure_go_ahead": Action(
        ErasureGoAheadForm,
        _go_ahead,
        confirm=always,
        title=gettext_lazy("Let the erasure go ahead without waiting"),
    ),
    "refusal": Action(
        RefusalForm,
        _decision("refusal"),
        confirm=_takes_effect("refusal"),
        title=gettext_lazy("Refuse the request"),
    ),
    "objection": Action(
        ObjectionDecisionForm,
        _decision("objection"),
        confirm=_takes_effect("objection"),
        title=gettext_lazy("Decide on the objection"),
    ),
    "decision_review": Action(
        DecisionReviewForm,
        _decision("decision_review"),
        form_kwargs=review_form_kwargs,
        confirm=_takes_effect("decision_review"),
        title=gettext_lazy("Record the review of the automated decision"),
    ),
    "fee": Action(
        FeeForm, _decision("fee"), confirm=_takes_effect("fee"), title=gettext_lazy("Ask for a fee")
    ),
    "fee_paid": Action(
        FeePaidForm, _fee_paid, confirm=always, title=gettext_lazy("Record the payment")
    ),
    "approve_proposal": Action(
        ProposalForm,
        _approve_proposal,
        confirm=always,
        title=gettext_lazy("Approve the proposal"),
        shows=_proposed_erasure,
    ),
    "send_back": Action(SendBackForm, _send_back),
    "withdraw_proposal": Action(ProposalForm, _withdraw_proposal),
    "hold": Action(LegalHoldForm, _hold),
    "retry": Action(JobForm, _retry),
    "retry_failed": Action(ApproveForm, _retry_failed),
    "retry_delivery": Action(DeliveryForm, _retry_delivery),
    # A skipped system, or one recorded as done another way, is not asked again.
    "skip": Action(SkipForm, _skip, confirm=always, title=gettext_lazy("Skip the system")),
    "done_by_hand": Action(
        DoneByHandForm,
        _done_by_hand,
        confirm=always,
        title=gettext_lazy("Record the system as done another way"),
    ),
    "notify_lift": Action(
        ApproveForm,
        _notify_lift,
        confirm=always,
        title=gettext_lazy("Tell the requester the restriction will be lifted"),
    ),
    "lift": Action(ApproveForm, _lift, confirm=always, title=gettext_lazy("Lift the restriction")),
    "changes": Action(
        ChangesForm, _changes, confirm=always, title=gettext_lazy("Make the corrections")
    ),
    "notice": Action(NoticeForm, _notice),
    "publication_notice": Action(NoticeForm, _publication_notice),
    "complete": Action(
        ApproveForm, _complete, confirm=always, title=gettext_lazy("Complete the request")
    ),
    "release": Action(ApproveForm, _release, confirm=always, title=gettext_lazy("Send the answer")),
    "transmission_not_feasible": Action(
        TransmissionNotFeasibleForm,
        _not_feasible,
        confirm=always,
        title=gettext_lazy("Record that the direct transmission is not feasible"),
    ),
    "reissue": Action(
        ApproveForm, _reissue, confirm=always, title=gettext_lazy("Renew the download")
    ),
    "redact": Action(
        RedactForm, _redact, back="staff:case_package", form_kwargs=redact_form_kwargs
    ),
    "withdraw_redaction": Action(RedactionForm, _withdraw_redaction, back="staff:case_package"),
    "forward": Action(
        ForwardForm,
        _forward,
        form_kwargs=forward_form_kwargs,
        confirm=always,
        title=gettext_lazy("Forward the request"),
    ),
    "note": Action(NoteForm, _note),
    "assign": Action(AssignForm, _assign),
    "matter": Action(MatterForm, _matter),
}

# The field that carries the officer's confirmation of a preview.
CONFIRM = "confirm"


def perform(request: HttpRequest, item: SubjectRequest, action: Action) -> HttpResponse:
    """Validate the action's form, run it (after the officer confirmed its preview, where it
    asks for one), tell the officer what happened, go back."""
    form = action.form(request.POST, **(action.form_kwargs(item) if action.form_kwargs else {}))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect(action.back, item.reference)
    officer, data = staff_user(request), form.cleaned_data
    try:
        if action.confirm is None or not action.confirm(item, data):
            done = action.run(item, officer, data)
        else:
            confirmed = str(request.POST.get(CONFIRM, ""))
            rehearsal = rehearse(item, lambda: action.run(item, officer, data), confirmed=confirmed)
            if not rehearsal.done:
                return _preview(request, item, action, rehearsal, data, stale=bool(confirmed))
            done = rehearsal.result
    except RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.add_message(request, done.level, done.text)
    return redirect(action.back, item.reference)


def _preview(
    request: HttpRequest,
    item: SubjectRequest,
    action: Action,
    rehearsal: Rehearsal[Done],
    data: Data,
    *,
    stale: bool,
) -> HttpResponse:
    """What the action would send, in the request's language, and the same form to confirm it.
    ``stale``: the officer confirmed an earlier preview, but the case has changed since."""
    # The rehearsal changed this object before it was rolled back: the case as it is.
    item = SubjectRequest.objects.get(pk=item.pk)
    names = dict(settings.LANGUAGES)
    package = item.packages.filter(deleted_at__isnull=True).first()
    return render(
        request,
        "staff/case_preview.html",
        {
            "item": item,
            "title": action.title,
            "letters": [
                {"letter": letter, "language_name": names.get(letter.language, letter.language)}
                for letter in rehearsal.letters
            ],
            "resend": [
                (key, value)
                for key, values in request.POST.lists()
                if key not in ("csrfmiddlewaretoken", CONFIRM)
                for value in values
            ],
            "confirm_name": CONFIRM,
            "fingerprint": rehearsal.fingerprint,
            "stale": stale,
            **(action.shows(item, data) if action.shows else {}),
            # Sending the answer: its report as it will go, beside the letter.
            "report": action is ACTIONS["release"]
            and package is not None
            and answers.REPORT in package.manifest.get("files", {}),
        },
        status=409 if stale else 200,
    )
