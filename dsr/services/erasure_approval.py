"""Approving an erasure: its systems are searched first (each says what the erasure would do
there), the person's other open requests are weighed, and only then is anything erased."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from connectors import registry
from dsr.core import four_eyes
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.subjects import same_person
from dsr.models import (
    CLOSED_STATUSES,
    Action,
    EventKind,
    JobStatus,
    Proposal,
    ProposalKind,
    SubjectRequest,
)
from dsr.processing.dispatch import ANSWERS_FIRST, advance
from dsr.processing.start import after_approval
from dsr.rights import Right

# A correction of data about to be erased: the officer decides which goes first.
WEIGHED = frozenset({Right.RECTIFICATION})


@dataclass(frozen=True)
class OtherRequest:
    """Another open request of the same person, as the approval shows it."""

    request: SubjectRequest
    rights: tuple[str, ...]
    # Erasure waits for it (an answer to send first, a correction to weigh) ...
    conflicts: bool
    # ... unless an officer decided, with reasons, that the erasure goes ahead anyway.
    overridden: bool

    @property
    def labels(self) -> list[str]:
        return [str(Right(right).label) for right in self.rights]


def other_open_requests(request: SubjectRequest) -> list[OtherRequest]:
    """The person's other open requests, oldest first; a duplicate of this one is its own work,
    not another request."""
    decided = _overridden(request)
    found = []
    for other in (
        SubjectRequest.objects.filter(same_person(request))
        .exclude(pk=request.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(duplicate_of=request.pk)
        .prefetch_related("requested_rights")
        .order_by("received_at", "pk")
    ):
        rights = tuple(r.right for r in other.requested_rights.all())
        conflicts = bool(set(rights) & (ANSWERS_FIRST | WEIGHED))
        found.append(OtherRequest(other, rights, conflicts, other.pk in decided))
    return found


def _overridden(request: SubjectRequest) -> set[int]:
    return {
        pk
        for data in request.events.filter(kind=EventKind.ERASURE_GOES_AHEAD).values_list(
            "data", flat=True
        )
        for pk in data.get("over", [])
    }


def locate_phase(request: SubjectRequest) -> str:
    """``not_started`` (systems configured, none asked yet), ``running``, ``finished`` (every
    system answered or failed) or ``none`` (no system configured: the officer works by hand)."""
    locates = list(request.jobs.filter(action=Action.LOCATE).values_list("status", flat=True))
    if not locates:
        return "not_started" if registry.systems() else "none"
    answered = {JobStatus.SUCCEEDED, JobStatus.SKIPPED, JobStatus.FAILED}
    return "finished" if all(status in answered for status in locates) else "running"


def ensure_ready(request: SubjectRequest) -> None:
    """Raise unless the erasure can be approved now: every system searched, and no open
    request of the same person that it would run over without an officer's decision."""
    earlier = request.duplicate_of
    if earlier is not None and earlier.is_open:
        raise RequestError(
            _("This request is handled together with %(reference)s: approve the erasure there.")
            % {"reference": earlier.reference}
        )
    phase = locate_phase(request)
    if phase == "not_started":
        # Verified before erasures located first: the sweep starts its search (it starts every
        # verified request that has no jobs).
        raise RequestError(
            _("The systems are being searched first: approve once every system has answered.")
        )
    if phase == "running":
        raise RequestError(
            _(
                "The systems are still being searched: approve once every system has answered "
                "and you can see what the erasure will do."
            )
        )
    waiting = [o for o in other_open_requests(request) if o.conflicts and not o.overridden]
    if waiting:
        raise RequestError(
            _(
                "The person has other open requests that the erasure would run over (%(refs)s): "
                "answer them first, or decide with reasons that the erasure goes ahead."
            )
            % {"refs": ", ".join(o.request.reference for o in waiting)}
        )


@transaction.atomic
def go_ahead(request: SubjectRequest, *, officer: Any, reason: str) -> None:
    """An officer decides that the erasure goes ahead although the person's other open
    requests (an answer not sent yet, a correction) are not finished: recorded with reasons."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not reason.strip():
        raise RequestError(_("Please give the reasons for the decision."))
    over = [o for o in other_open_requests(request) if o.conflicts and not o.overridden]
    if not over:
        raise RequestError(_("No other open request of the person waits for this erasure."))
    record(
        request,
        EventKind.ERASURE_GOES_AHEAD,
        actor=officer,
        reason=reason.strip(),
        data={
            "over": [o.request.pk for o in over],
            "references": [o.request.reference for o in over],
        },
    )
    if request.jobs.exists():  # an approved erasure that waited goes on now
        transaction.on_commit(lambda: advance(request.pk))


@transaction.atomic
def approve(
    request: SubjectRequest, *, officer: Any, reason: str = "", proposal: Proposal | None = None
) -> None:
    """An officer approves processing that needs it (erasure). Where erasure is under four
    eyes (DSR_FOUR_EYES) this runs only as the approval of a proposal that this officer, not
    the proposer, approved: ``dsr.services.decisions`` is the way in."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if request.events.filter(kind=EventKind.APPROVED).exists():
        raise RequestError(_("This request is already approved."))
    ensure_ready(request)
    try:
        four_eyes.authorise(request, ProposalKind.ERASURE, officer=officer, proposal=proposal)
    except RequestError as exc:
        raise RequestError(str(exc)) from exc
    data = (
        {}
        if proposal is None
        else {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    )
    record(request, EventKind.APPROVED, actor=officer, reason=reason.strip(), data=data)
    transaction.on_commit(lambda: after_approval(SubjectRequest.objects.get(pk=request.pk)))
