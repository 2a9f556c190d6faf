"""Refusing a request, wholly or in part, with the Art. 12(4) notice that must go with it.

The notice cannot be sent without its three elements: the reasons, the right to complain to a
supervisory authority (the one competent for the request named, and the subject's own where
they live or work), and the judicial remedy. It goes as an e-mail with the same text as a PDF
letter.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from dsr.core import four_eyes
from dsr.core.clock import clock_for, today
from dsr.core.controller import competent_authority
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import EventKind, Proposal, ProposalKind, SubjectRequest
from dsr.rights import Right
from dsr.services import refusals

GROUNDS = {
    "manifestly_unfounded": gettext_lazy("Manifestly unfounded (Art. 12(5) GDPR)"),
    "excessive": gettext_lazy("Excessive, in particular because repetitive (Art. 12(5) GDPR)"),
    "exception": gettext_lazy("An exception in law applies (e.g. Art. 17(3) GDPR)"),
    "not_identifiable": gettext_lazy("We cannot identify you (Art. 11(2), 12(2) GDPR)"),
    "rights_of_others": gettext_lazy("It would affect the rights of others (Art. 15(4) GDPR)"),
    # Only as the decision on an Art. 21(1) objection, never picked as a refusal of its own.
    "compelling_grounds": gettext_lazy(
        "Compelling legitimate grounds that override your interests, or the establishment, "
        "exercise or defence of legal claims (Art. 21(1) GDPR)"
    ),
}
OBJECTION_GROUND = "compelling_grounds"
# What an officer may choose when refusing (the objection decision brings its own ground).
REFUSAL_GROUNDS = {key: label for key, label in GROUNDS.items() if key != OBJECTION_GROUND}


@dataclass(frozen=True)
class Refusal:
    ground: str
    reasons: str
    statute: str = ""  # for an exception: which provision
    partial: bool = False


def validate(request: SubjectRequest, refusal: Refusal) -> None:
    """What a refusal needs before it may be sent (Art. 12(4)); checked when it is proposed, so
    a proposal that could not be sent is refused up front, and again when it is sent."""
    if refusal.ground not in GROUNDS:
        raise RequestError(_("Please choose the ground of the refusal."))
    if not refusal.reasons.strip():
        raise RequestError(_("A refusal must give the requester its reasons (Art. 12(4) GDPR)."))
    if refusal.ground == "exception" and not refusal.statute.strip():
        raise RequestError(_("Name the provision that makes the exception."))
    if refusal.ground == "rights_of_others" and not refusal.partial:
        raise RequestError(
            _(
                "The rights of others justify withholding their data, never refusing the whole "
                "request (Art. 15(4) GDPR): refuse only that part."
            )
        )
    if (
        refusal.ground not in ("not_identifiable", OBJECTION_GROUND)
        and request.requested_rights.filter(
            right="objection", details__kind="direct_marketing"
        ).exists()
    ):
        raise RequestError(
            _(
                "An objection to direct marketing is absolute (Art. 21(3) GDPR): it can only be "
                "refused if we cannot identify the person."
            )
        )
    if competent_authority(request) is None:
        raise RequestError(
            _(
                "Name the competent supervisory authority in the configuration first: the "
                "requester must be told where to complain (Art. 12(4) GDPR)."
            )
        )
    if not request.is_open:
        raise RequestError(_("This request is already closed."))


@transaction.atomic
def refuse(
    request: SubjectRequest,
    *,
    officer: User,
    refusal: Refusal,
    proposal: Proposal | None = None,
) -> None:
    """Send the refusal. Where a second officer is required (DSR_FOUR_EYES) this runs only as
    the approval of a proposal the officer approved: see ``dsr.services.decisions``."""

    validate(request, refusal)
    kind = ProposalKind.OBJECTION if refusal.ground == OBJECTION_GROUND else ProposalKind.REFUSAL
    four_eyes.authorise(request, kind, officer=officer, proposal=proposal)
    if proposal is not None and refusals.refusal_of(proposal) != refusal:
        raise RequestError(_("This refusal is not the one the second officer approved."))
    clock = clock_for(request)
    late = today() > clock.deadlines.policy_due
    data: dict[str, object] = {
        "ground": refusal.ground,
        "statute": refusal.statute.strip(),
        "late": late,
    }
    if proposal is not None:
        data |= {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    record(
        request,
        EventKind.PARTLY_REFUSED if refusal.partial else EventKind.REFUSED,
        actor=officer,
        reason=refusal.reasons.strip(),
        data=data,
    )
    send_to_requester(
        request, "refused"
    )  # the worker reads the reasons from the event, not the message


def refusal_context(request: SubjectRequest) -> dict[str, object]:
    event = (
        request.events.filter(kind__in=[EventKind.REFUSED, EventKind.PARTLY_REFUSED])
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return {}
    return {
        # Lazy: translated when the letter is rendered, in the request's language.
        "ground": GROUNDS.get(event.data.get("ground", ""), ""),
        "statute": event.data.get("statute", ""),
        "reasons": event.reason,
        "partial": event.kind == EventKind.PARTLY_REFUSED,
        # A rejected Art. 21(1) objection: the restriction of the assessment is lifted.
        "lifts_restriction": event.data.get("ground") == OBJECTION_GROUND
        and request.jobs.filter(action="lift_restriction").exists(),
    }


def refusal_for(request: SubjectRequest, kind: str, reason: str, payload: dict[str, Any]) -> Any:
    """The refusal a decision sends, if it sends one."""
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


def refusal_of(proposal: Proposal) -> Any:
    """The exact refusal an approved proposal stands for (nothing else may be sent on it)."""
    return refusal_for(proposal.request, proposal.kind, proposal.reason, proposal.payload)
