"""Which decisions need a second officer (``DSR_FOUR_EYES``), and whether one was given.

The services that carry a decision out ask ``authorise`` first, so calling them directly
cannot skip the second officer.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.models import (
    EventKind,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    SubjectRequest,
)
from dsr.rights import Right

# The events that carry a decision out (they name the proposal they carry out, if any).
APPLIED = (
    EventKind.APPROVED,
    EventKind.REFUSED,
    EventKind.PARTLY_REFUSED,
    EventKind.OBJECTION_UPHELD,
    EventKind.DECISION_REVIEWED,
    EventKind.FEE_REQUESTED,
)


# The right whose presence in DSR_FOUR_EYES puts each kind of decision under four eyes;
# a refusal and a fee (the alternative to one) follow the rights of the request instead.
_RIGHT_OF_KIND = {
    ProposalKind.ERASURE: Right.ERASURE,
    ProposalKind.OBJECTION: Right.OBJECTION,
    ProposalKind.DECISION_REVIEW: Right.AUTOMATED_DECISION,
}


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


def authorise(
    request: SubjectRequest, kind: str, *, officer: User, proposal: Proposal | None
) -> None:
    """May this officer carry out this decision now? Directly only where no second officer is
    required; otherwise only as the approver (never the proposer) of an approved proposal."""
    if proposal is None:
        if needs_second_officer(request, kind):
            raise RequestError(second_officer_needed())
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


def second_officer_needed() -> str:
    return _("This decision needs a second officer: propose it, and another officer approves it.")
