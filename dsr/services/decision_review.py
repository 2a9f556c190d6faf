"""Art. 22(3) GDPR: a person with the authority to change an automated decision reviews it,
considers the requester's point of view and records the outcome with reasons.

The review is a decision like the others (``dsr.services.decisions``: under four eyes where
``DSR_FOUR_EYES`` names ``automated_decision``); this module says what it needs, carries it out
and tells the letter what was done. A request that asks for it completes only once it is on
record (``dsr.services.completion``).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from dsr.core import four_eyes
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.register import automated_activities
from dsr.models import (
    EventKind,
    ProcessingActivity,
    Proposal,
    ProposalKind,
    ReviewOutcome,
    SubjectRequest,
)
from dsr.rights import Right

# The outcomes after which the automated decision still applies, wholly or as changed: the
# letter then names the complaint and the judicial remedy, as a refusal does (Art. 12(4)).
STANDS = frozenset({ReviewOutcome.UPHELD, ReviewOutcome.CHANGED})
ROLE_MAX = 200


def asks_for_review(request: SubjectRequest) -> bool:
    return request.requested_rights.filter(right=Right.AUTOMATED_DECISION).exists()


def review_event(request: SubjectRequest) -> Any:
    return request.events.filter(kind=EventKind.DECISION_REVIEWED).order_by("at", "pk").first()


def reviewed(request: SubjectRequest) -> bool:
    return request.events.filter(kind=EventKind.DECISION_REVIEWED).exists()


def requested(request: SubjectRequest) -> dict[str, Any]:
    """What the person asked for (the intake's Art. 22 form; a letter entered by staff holds
    only its text as received)."""
    item = request.requested_rights.filter(right=Right.AUTOMATED_DECISION).first()
    return dict(item.details) if item is not None else {}


def clean(payload: dict[str, Any]) -> dict[str, Any]:
    """Only the choices and the reviewer's role (no name: the officer who records it is the
    event's actor); the reasons are the decision's reason."""
    outcome = str(payload.get("outcome", ""))
    if outcome not in ReviewOutcome.values:
        raise RequestError(_("Say whether the decision is upheld, changed or withdrawn."))
    role = " ".join(str(payload.get("reviewer_role", "")).split())
    if not role:
        raise RequestError(
            _(
                "Say who reviewed the decision: the role of the person with the authority to "
                "change it."
            )
        )
    if len(role) > ROLE_MAX:
        raise RequestError(_("Describe the reviewer's role in at most 200 characters."))
    return {
        "outcome": outcome,
        "activity": str(payload.get("activity", "")),
        "reviewer_role": role,
        "view_considered": payload.get("view_considered") is True,
    }


def check(request: SubjectRequest, payload: dict[str, Any]) -> None:
    """Whether the review can be recorded now (when proposed, and again when approved)."""
    if not asks_for_review(request):
        raise RequestError(_("This request does not ask for the review of an automated decision."))
    if request.verified_at is None:
        raise RequestError(_("Verify the requester's identity before recording the review."))
    if reviewed(request):
        raise RequestError(_("The review of the automated decision is already on record."))
    if _activity(payload["activity"]) is None:
        raise RequestError(
            _("Choose the activity of the register that took the automated decision.")
        )
    if not payload["view_considered"]:
        raise RequestError(
            _(
                "The person's point of view must be considered in the review (Art. 22(3) "
                "GDPR): read it, and confirm that the reviewer took it into account."
            )
        )


def _activity(key: str) -> ProcessingActivity | None:
    return next((a for a in automated_activities() if a.key == key), None)


def carry_out(
    request: SubjectRequest,
    *,
    officer: User,
    reason: str,
    payload: dict[str, Any],
    proposal: Proposal | None,
) -> None:
    """Record the review: what the letter later states (only what is on record)."""
    four_eyes.authorise(request, ProposalKind.DECISION_REVIEW, officer=officer, proposal=proposal)
    data = dict(payload)
    if proposal is not None:
        data |= {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    record(request, EventKind.DECISION_REVIEWED, actor=officer, reason=reason.strip(), data=data)


# --- what the officer and the requester read --------------------------------------------------


@dataclass(frozen=True)
class Task:
    title: Promise
    done: bool
    detail: str = ""


def tasks(request: SubjectRequest) -> list[Task]:
    """The officer's Art. 22(3) tasks for the case page, each done only once on record."""
    event = review_event(request)
    data = event.data if event is not None else {}
    return [
        Task(
            gettext_lazy("Have the decision reviewed by a person with the authority to change it"),
            event is not None,
            str(data.get("reviewer_role", "")),
        ),
        Task(
            gettext_lazy("Consider the person's point of view"),
            bool(data.get("view_considered")),
        ),
        Task(
            gettext_lazy("Record the outcome (upheld, changed or withdrawn) with reasons"),
            event is not None,
            str(ReviewOutcome(data["outcome"]).label) if event is not None else "",
        ),
    ]


def letter_context(request: SubjectRequest) -> dict[str, Any]:
    """The review as the completion letter states it, in the request's language."""
    event = review_event(request)
    if event is None:
        return {}
    language = request.language
    asked = requested(request)
    activity = ProcessingActivity.objects.filter(key=event.data.get("activity", "")).first()
    decided_on = asked.get("decision_date") or ""
    return {
        "review": {
            "outcome": event.data["outcome"],
            "outcome_label": ReviewOutcome(event.data["outcome"]).label,  # lazy
            "stands": event.data["outcome"] in STANDS,
            "reviewer_role": event.data.get("reviewer_role", ""),
            "view_considered": bool(event.data.get("view_considered")),
            # A letter staff entered holds the person's words as received: the view may be there.
            "view_given": bool(str(asked.get("view") or asked.get("as_received") or "").strip()),
            # Named as the person named it on the form (a letter's full text is not repeated).
            "decision": str(asked.get("decision", "")),
            "decided_on": date.fromisoformat(decided_on) if decided_on else None,
            "reasons": event.reason,
            "activity": activity.text("name", language) if activity else "",
            "logic": activity.text("automated_logic", language) if activity else "",
            "consequences": activity.text("automated_consequences", language) if activity else "",
        }
    }
