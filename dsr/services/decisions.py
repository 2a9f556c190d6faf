"""Decisions on a request under four eyes: one officer proposes, a second approves or sends back.

Which decisions need the second officer is a setting (``DSR_FOUR_EYES``, rights by name): for
erasure the approval to erase, for objection the Art. 21(1) decision, for automated_decision the
Art. 22(3) review of the decision, for any listed right a
refusal or partial refusal of a request that includes it. Where the setting does not ask for
four eyes one officer decides directly, through the same services. The services that carry a
decision out (``dsr.services.erasure_approval.approve``, ``dsr.services.refusals.refuse``,
``dsr.services.fees.ask_fee``) ask
``authorise`` first, so calling them directly cannot skip the second officer.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.four_eyes import authorise, needs_second_officer, second_officer_needed
from dsr.models import (
    CLOSED_STATUSES,
    EventKind,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    SubjectRequest,
)
from dsr.processing.dispatch import needs_approval
from dsr.rights import Right
from dsr.services import decision_review, erasure_approval, fees, restriction
from dsr.services.refusals import (
    OBJECTION_GROUND,
    REFUSAL_GROUNDS,
    refusal_for,
    refuse,
    validate,
)


def objects_on_particular_situation(request: SubjectRequest) -> bool:
    """An Art. 21(1) objection: the officer weighs the grounds (direct marketing is absolute)."""
    return request.requested_rights.filter(
        right=Right.OBJECTION, details__kind="particular_situation"
    ).exists()


def objection_decided(request: SubjectRequest) -> bool:
    if request.events.filter(kind=EventKind.OBJECTION_UPHELD).exists():
        return True

    return request.events.filter(
        kind__in=[EventKind.REFUSED, EventKind.PARTLY_REFUSED], data__ground=OBJECTION_GROUND
    ).exists()


# --- what a decision holds ---------------------------------------------------------------------


def _payload(kind: str, payload: dict[str, Any] | None) -> dict[str, Any]:
    """Only the choices: no free text beyond the statute's name (the reasons are separate)."""
    payload = payload or {}
    if kind == ProposalKind.REFUSAL:
        return {
            "ground": str(payload.get("ground", "")),
            "statute": str(payload.get("statute", "")).strip(),
            "partial": bool(payload.get("partial", False)),
            "sub_ground": str(payload.get("sub_ground", "")),
        }
    if kind == ProposalKind.FEE:
        basis = str(payload.get("basis", ""))
        return {
            "basis": basis,
            "amount": fees.normalised_amount(str(payload.get("amount", ""))),
            "currency": str(payload.get("currency", "")).strip().upper(),
            "sub_ground": "" if basis == fees.FURTHER_COPY else str(payload.get("sub_ground", "")),
        }
    if kind == ProposalKind.OBJECTION:
        if not isinstance(payload.get("upheld"), bool):
            raise RequestError(_("Say whether the objection is upheld or rejected."))
        return {"upheld": payload["upheld"]}
    if kind == ProposalKind.DECISION_REVIEW:
        return decision_review.clean(payload)
    return {}


def _check(request: SubjectRequest, kind: str, reason: str, payload: dict[str, Any]) -> None:
    """Whether the decision could be carried out now: before it is proposed, and again when it
    is approved (the request may have moved on meanwhile)."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not reason.strip():
        raise RequestError(_("Please give the reasons for the decision."))
    if kind == ProposalKind.ERASURE:
        if request.verified_at is None:
            raise RequestError(_("Verify the requester's identity before approving the erasure."))
        if not needs_approval(request):
            raise RequestError(_("This request has no erasure waiting for approval."))
        erasure_approval.ensure_ready(request)
    elif kind == ProposalKind.OBJECTION:
        if not objects_on_particular_situation(request):
            raise RequestError(
                _("This request has no objection on grounds of a particular situation.")
            )
        if request.verified_at is None:
            raise RequestError(_("Verify the requester's identity before deciding the objection."))
        if objection_decided(request):
            raise RequestError(_("The objection has already been decided."))
        if request.jobs.filter(
            action="restrict", status__in=["pending", "queued", "running"]
        ).exists():
            raise RequestError(
                _("The systems are still restricting the data: decide once they have answered.")
            )
    elif kind == ProposalKind.DECISION_REVIEW:
        decision_review.check(request, payload)
    elif kind == ProposalKind.REFUSAL and payload["ground"] not in REFUSAL_GROUNDS:
        raise RequestError(_("Please choose the ground of the refusal."))
    elif kind == ProposalKind.FEE:
        fees.validate(request, fees.fee_for(reason, payload))
        return
    refusal = refusal_for(request, kind, reason, payload)
    if refusal is not None:
        validate(request, refusal)


def _apply(
    request: SubjectRequest,
    kind: str,
    *,
    officer: User,
    reason: str,
    payload: dict[str, Any],
    proposal: Proposal | None,
) -> None:
    if kind == ProposalKind.ERASURE:
        try:
            erasure_approval.approve(request, officer=officer, reason=reason, proposal=proposal)
        except RequestError as exc:
            raise RequestError(str(exc)) from exc
        return
    if kind == ProposalKind.DECISION_REVIEW:
        decision_review.carry_out(
            request, officer=officer, reason=reason, payload=payload, proposal=proposal
        )
        return
    if kind == ProposalKind.FEE:
        fees.ask_fee(request, officer=officer, fee=fees.fee_for(reason, payload), proposal=proposal)
        return
    refusal = refusal_for(request, kind, reason, payload)
    if refusal is not None:
        refuse(request, officer=officer, refusal=refusal, proposal=proposal)
        if kind == ProposalKind.OBJECTION and not _restriction_wanted(request):
            # The processing goes on: the restriction of the assessment ends, once the letter
            # that says so has gone out (Art. 18(3)).
            restriction.lift_after_rejected_objection(request, officer=officer)
        return
    # An objection upheld: the processing it was about stops for good (it has been restricted
    # since the objection came in); the completion letter says so.
    authorise(request, kind, officer=officer, proposal=proposal)
    data: dict[str, Any] = {"upheld": True}
    if proposal is not None:
        data |= {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    record(request, EventKind.OBJECTION_UPHELD, actor=officer, reason=reason.strip(), data=data)


def _restriction_wanted(request: SubjectRequest) -> bool:
    """A restriction the person asked for (Art. 18), in this request or another open one,
    shares the systems' restriction flag: it is not lifted with the objection's."""
    from django.db.models import Q

    if request.requested_rights.filter(right=Right.RESTRICTION).exists():
        return True
    same_person = Q(email__iexact=request.email) if request.email else Q(pk__in=[])
    if request.account_id:
        same_person |= Q(account_id=request.account_id)
    return (
        SubjectRequest.objects.filter(same_person, requested_rights__right=Right.RESTRICTION)
        .exclude(pk=request.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .exists()
    )


def _require_officer(officer: User) -> None:
    if not (officer.is_active and officer.has_perm("accounts.work_cases")):
        raise RequestError(_("Only a privacy officer can take this decision."))


def _lock(request: SubjectRequest) -> SubjectRequest:
    return SubjectRequest.objects.select_for_update().get(pk=request.pk)


def _pending(request: SubjectRequest, kind: str) -> Proposal | None:
    return request.proposals.filter(kind=kind, outcome=ProposalOutcome.PENDING).first()


def _event_data(proposal: Proposal) -> dict[str, Any]:
    return {"proposal": proposal.pk, "kind": proposal.kind, **proposal.payload}


# --- use cases ---------------------------------------------------------------------------------


@transaction.atomic
def propose(
    request: SubjectRequest,
    *,
    officer: User,
    kind: str,
    reason: str,
    payload: dict[str, Any] | None = None,
) -> Proposal:
    """Put a decision to a second officer. It is checked now as if it were carried out, so a
    proposal that could not be sent (no reasons, no statute, no authority) never waits."""
    request = _lock(request)
    _require_officer(officer)
    kind = ProposalKind(kind)
    clean = _payload(kind, payload)
    _check(request, kind, reason, clean)
    if _pending(request, kind) is not None:
        raise RequestError(
            _("A proposal for this decision is already waiting for a second officer.")
        )
    proposal = Proposal.objects.create(
        request=request, kind=kind, payload=clean, reason=reason.strip(), proposed_by=officer
    )
    record(
        request,
        EventKind.PROPOSED,
        actor=officer,
        reason=proposal.reason,
        data=_event_data(proposal),
    )
    return proposal


@transaction.atomic
def decide(
    request: SubjectRequest,
    *,
    officer: User,
    kind: str,
    reason: str,
    payload: dict[str, Any] | None = None,
) -> None:
    """One officer decides, where DSR_FOUR_EYES does not ask for a second one."""
    request = _lock(request)
    _require_officer(officer)
    kind = ProposalKind(kind)
    clean = _payload(kind, payload)
    if needs_second_officer(request, kind):
        raise RequestError(second_officer_needed())
    if _pending(request, kind) is not None:
        raise RequestError(
            _("A proposal for this decision is waiting: approve it, send it back or withdraw it.")
        )
    _check(request, kind, reason, clean)
    _apply(request, kind, officer=officer, reason=reason.strip(), payload=clean, proposal=None)


def _take(proposal: Proposal) -> tuple[SubjectRequest, Proposal]:
    """Lock the request, then the proposal (the order ``propose`` takes them in)."""
    request = _lock(proposal.request)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_pending:
        raise RequestError(_("This proposal has already been decided."))
    return request, proposal


@transaction.atomic
def approve(proposal: Proposal, *, officer: User, reason: str = "") -> None:
    """The second officer approves: the decision is carried out in their name, with the
    proposer on record in the events."""
    request, proposal = _take(proposal)
    _require_officer(officer)
    if proposal.proposed_by_id == officer.pk:
        raise RequestError(_("You proposed this decision: another officer must approve it."))
    _check(request, proposal.kind, proposal.reason, proposal.payload)
    _settle(request, proposal, ProposalOutcome.APPROVED, officer=officer, reason=reason)
    _apply(
        request,
        proposal.kind,
        officer=officer,
        reason=proposal.reason,
        payload=proposal.payload,
        proposal=proposal,
    )


@transaction.atomic
def reject(proposal: Proposal, *, officer: User, reason: str) -> None:
    """Another officer sends the proposal back, saying why; nothing is carried out."""
    request, proposal = _take(proposal)
    _require_officer(officer)
    if proposal.proposed_by_id == officer.pk:
        raise RequestError(_("You proposed this decision: withdraw it instead."))
    if not reason.strip():
        raise RequestError(_("Say why the proposal is sent back."))
    _settle(request, proposal, ProposalOutcome.REJECTED, officer=officer, reason=reason)


@transaction.atomic
def withdraw(proposal: Proposal, *, officer: User, reason: str = "") -> None:
    """The proposer takes the proposal back (to correct it, or because it is moot)."""
    request, proposal = _take(proposal)
    if proposal.proposed_by_id != officer.pk:
        raise RequestError(_("Only the officer who proposed this decision can withdraw it."))
    _settle(request, proposal, ProposalOutcome.WITHDRAWN, officer=officer, reason=reason)


_SETTLED_EVENT = {
    ProposalOutcome.APPROVED: EventKind.PROPOSAL_APPROVED,
    ProposalOutcome.REJECTED: EventKind.PROPOSAL_REJECTED,
    ProposalOutcome.WITHDRAWN: EventKind.PROPOSAL_WITHDRAWN,
}


def _settle(
    request: SubjectRequest, proposal: Proposal, outcome: str, *, officer: User, reason: str
) -> None:
    """Close a proposal and record who did it. A second officer decides it (``decided_by``);
    a withdrawal is the proposer's own and leaves ``decided_by`` empty."""
    proposal.outcome = outcome
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason.strip()
    data = _event_data(proposal)
    if outcome != ProposalOutcome.WITHDRAWN:
        proposal.decided_by = officer
        data |= {"proposed_by": proposal.proposed_by_id}
    proposal.save(update_fields=["outcome", "decided_by", "decided_at", "decision_reason"])
    record(
        request,
        _SETTLED_EVENT[ProposalOutcome(outcome)],
        actor=officer,
        reason=proposal.decision_reason,
        data=data,
    )
