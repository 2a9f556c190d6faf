"""Decisions on a request under four eyes: one officer proposes, a second approves or sends back.

Which decisions need the second officer is a setting (``DSR_FOUR_EYES``, rights by name): for
erasure the approval to erase, for objection the Art. 21(1) decision, for any listed right a
refusal or partial refusal of a request that includes it. Where the setting does not ask for
four eyes one officer decides directly, through the same services. The services that carry a
decision out (``connectors.services.approve``, ``dsr.services.refusals.refuse``) ask
``authorise`` first, so calling them directly cannot skip the second officer.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.models import (
    CLOSED_STATUSES,
    EventKind,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    SubjectRequest,
)
from dsr.rights import Right
from dsr.services.requests import RequestError, record

# The events that carry a decision out (they name the proposal they carry out, if any).
APPLIED = (
    EventKind.APPROVED,
    EventKind.REFUSED,
    EventKind.PARTLY_REFUSED,
    EventKind.OBJECTION_UPHELD,
)

# The right whose presence in DSR_FOUR_EYES puts each kind of decision under four eyes;
# a refusal follows the rights of the request instead.
_RIGHT_OF_KIND = {ProposalKind.ERASURE: Right.ERASURE, ProposalKind.OBJECTION: Right.OBJECTION}


def four_eyes_rights() -> frozenset[str]:
    """The rights named in DSR_FOUR_EYES; an unknown name is a configuration error."""
    configured = settings.DSR_FOUR_EYES
    if isinstance(configured, str):
        configured = configured.split(",")
    names = {str(name).strip() for name in configured if str(name).strip()}
    unknown = names - set(Right.values)
    if unknown:
        raise ImproperlyConfigured(
            f"DSR_FOUR_EYES names unknown rights: {', '.join(sorted(unknown))}. "
            f"Known: {', '.join(Right.values)}."
        )
    return frozenset(names)


def needs_second_officer(request: SubjectRequest, kind: str) -> bool:
    config = four_eyes_rights()
    if kind in _RIGHT_OF_KIND:
        return _RIGHT_OF_KIND[ProposalKind(kind)] in config
    return bool(set(request.rights) & config)


def objects_on_particular_situation(request: SubjectRequest) -> bool:
    """An Art. 21(1) objection: the officer weighs the grounds (direct marketing is absolute)."""
    return request.requested_rights.filter(
        right=Right.OBJECTION, details__kind="particular_situation"
    ).exists()


def objection_decided(request: SubjectRequest) -> bool:
    if request.events.filter(kind=EventKind.OBJECTION_UPHELD).exists():
        return True
    from dsr.services.refusals import OBJECTION_GROUND

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
        }
    if kind == ProposalKind.OBJECTION:
        if not isinstance(payload.get("upheld"), bool):
            raise RequestError(_("Say whether the objection is upheld or rejected."))
        return {"upheld": payload["upheld"]}
    return {}


def _refusal(request: SubjectRequest, kind: str, reason: str, payload: dict[str, Any]) -> Any:
    """The refusal a decision sends, if it sends one."""
    from dsr.services.refusals import OBJECTION_GROUND, Refusal

    if kind == ProposalKind.REFUSAL:
        return Refusal(
            ground=payload["ground"],
            reasons=reason,
            statute=payload["statute"],
            partial=payload["partial"],
        )
    if kind == ProposalKind.OBJECTION and not payload["upheld"]:
        # Processing continues despite the objection: an Art. 12(4) notice. Only the objection
        # is refused when the request asks for more.
        others = request.requested_rights.exclude(right=Right.OBJECTION).exists()
        return Refusal(ground=OBJECTION_GROUND, reasons=reason, partial=others)
    return None


def _check(request: SubjectRequest, kind: str, reason: str, payload: dict[str, Any]) -> None:
    """Whether the decision could be carried out now: before it is proposed, and again when it
    is approved (the request may have moved on meanwhile)."""
    from connectors.services import needs_approval
    from dsr.services.refusals import REFUSAL_GROUNDS, validate

    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not reason.strip():
        raise RequestError(_("Please give the reasons for the decision."))
    if kind == ProposalKind.ERASURE:
        if request.verified_at is None:
            raise RequestError(_("Verify the requester's identity before approving the erasure."))
        if not needs_approval(request):
            raise RequestError(_("This request has no erasure waiting for approval."))
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
    elif kind == ProposalKind.REFUSAL and payload["ground"] not in REFUSAL_GROUNDS:
        raise RequestError(_("Please choose the ground of the refusal."))
    refusal = _refusal(request, kind, reason, payload)
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
    from connectors import services as fanout
    from dsr.services.refusals import refuse

    if kind == ProposalKind.ERASURE:
        try:
            fanout.approve(request, officer=officer, reason=reason, proposal=proposal)
        except fanout.JobError as exc:
            raise RequestError(str(exc)) from exc
        return
    refusal = _refusal(request, kind, reason, payload)
    if refusal is not None:
        refuse(request, officer=officer, refusal=refusal, proposal=proposal)
        if kind == ProposalKind.OBJECTION and not _restriction_wanted(request):
            # The processing goes on: the restriction of the assessment ends, once the letter
            # that says so has gone out (Art. 18(3)).
            fanout.lift_after_rejected_objection(request, officer=officer)
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


def authorise(
    request: SubjectRequest, kind: str, *, officer: User, proposal: Proposal | None
) -> None:
    """May this officer carry out this decision now? Directly only where no second officer is
    required; otherwise only as the approver (never the proposer) of an approved proposal."""
    if proposal is None:
        if needs_second_officer(request, kind):
            raise RequestError(_needs_second_officer())
        return
    approved = (
        Proposal.objects.filter(
            pk=proposal.pk,
            request_id=request.pk,
            kind=kind,
            outcome=ProposalOutcome.APPROVED,
            decided_by_id=officer.pk,
        )
        .exclude(proposed_by_id=officer.pk)
        .exists()
    )
    if not approved:
        raise RequestError(_("This decision has not been approved by a second officer."))
    # An approval carries out one decision, once.
    if request.events.filter(kind__in=APPLIED, data__proposal=proposal.pk).exists():
        raise RequestError(_("This proposal has already been carried out."))


def refusal_of(proposal: Proposal) -> Any:
    """The exact refusal an approved proposal stands for (nothing else may be sent on it)."""
    return _refusal(proposal.request, proposal.kind, proposal.reason, proposal.payload)


def _needs_second_officer() -> str:
    return _("This decision needs a second officer: propose it, and another officer approves it.")


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
        raise RequestError(_needs_second_officer())
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


# --- for the case page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """Which decisions the case page offers, and whether each goes to a second officer."""

    erasure: bool
    refusal: bool
    objection: bool
    erasure_four_eyes: bool
    refusal_four_eyes: bool
    objection_four_eyes: bool


def options(request: SubjectRequest) -> Options:
    from connectors.services import needs_approval

    is_open = request.is_open
    pending = set(
        request.proposals.filter(outcome=ProposalOutcome.PENDING).values_list("kind", flat=True)
    )
    return Options(
        erasure=is_open
        and request.verified_at is not None
        and ProposalKind.ERASURE not in pending
        and needs_approval(request),
        refusal=is_open and ProposalKind.REFUSAL not in pending,
        objection=is_open
        and request.verified_at is not None
        and ProposalKind.OBJECTION not in pending
        and objects_on_particular_situation(request)
        and not objection_decided(request),
        erasure_four_eyes=needs_second_officer(request, ProposalKind.ERASURE),
        refusal_four_eyes=needs_second_officer(request, ProposalKind.REFUSAL),
        objection_four_eyes=needs_second_officer(request, ProposalKind.OBJECTION),
    )


def describe(proposal: Proposal) -> list[tuple[str, str]]:
    """What a proposal would do, in words, for the officer asked to approve it."""
    from dsr.services.refusals import GROUNDS

    payload = proposal.payload
    rows: list[tuple[str, str]] = []
    if proposal.kind == ProposalKind.REFUSAL:
        rows.append((_("Ground"), str(GROUNDS.get(payload.get("ground", ""), ""))))
        if payload.get("statute"):
            rows.append((_("Provision"), str(payload["statute"])))
        rows.append(
            (_("Extent"), _("Part of the request") if payload.get("partial") else _("All of it"))
        )
    elif proposal.kind == ProposalKind.OBJECTION:
        rows.append(
            (
                _("Outcome"),
                _("Upheld: the processing stops")
                if payload.get("upheld")
                else _("Rejected: the processing continues; the requester gets the reasons"),
            )
        )
    return rows
