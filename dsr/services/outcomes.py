"""The outcome record each closed request leaves for the statistics (no personal data)."""

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy

from dsr.core.clock import clock_for, local_date
from dsr.core.controller import get_controller
from dsr.core.events import closing_event
from dsr.models import (
    CLOSED_STATUSES,
    ConnectorJob,
    EventKind,
    JobStatus,
    Outcome,
    RequestEvent,
    RequestOutcome,
    SubjectRequest,
)
from dsr.services.refusals import GROUNDS

# A refusal that is not an officer's decision: the data subject said the agent may not act.
AGENT_REJECTED = "agent_rejected"


REFUSAL_GROUNDS = {
    **GROUNDS,
    AGENT_REJECTED: gettext_lazy("The data subject did not confirm the agent's authority"),
}


NOT_RECORDED = ""


# A duplicate answered with the earlier request was answered too (by that answer).
_COMPLETING = frozenset(
    {EventKind.ANSWER_RELEASED, EventKind.COMPLETED, EventKind.ANSWERED_TOGETHER}
)


_REFUSING = frozenset({EventKind.REFUSED, EventKind.PARTLY_REFUSED})


def job_failed(status: str, attempts: int, *, restarted_after_failure: bool) -> bool:
    """Whether a connector job counts as failed in the statistics. It does when

    - it ended FAILED (the system refused, or the retries ran out), or
    - it needed an automatic retry: ``attempts`` > 1 when the request closed. Each run that
      ended in a transient error (timeout, 5xx, 429) or whose worker died counts; waiting for
      a rate-limit slot, or an in-house system that answers "still working", does not
      (those runs give their attempt back), or
    - an officer restarted it after it had failed (a JOB_RETRIED event for the job; events
      from before the former status was recorded are taken as restarts after a failure).

    An officer's restart sets ``attempts`` back to 0, which is why the restart itself counts.
    """
    return status == "failed" or attempts > 1 or restarted_after_failure


def _systems(request: SubjectRequest, events: list[RequestEvent]) -> dict[str, dict[str, int]]:
    restarted = {
        e.data.get("job")
        for e in events
        if e.kind == EventKind.JOB_RETRIED
        and e.data.get("status", JobStatus.FAILED) == JobStatus.FAILED
    }
    systems: dict[str, dict[str, int]] = {}
    jobs = ConnectorJob.objects.filter(request=request).values_list(
        "pk", "system", "status", "attempts"
    )
    for pk, system, status, attempts in jobs:
        counts = systems.setdefault(system, {"jobs": 0, "failed": 0, "skipped": 0})
        counts["jobs"] += 1
        counts["failed"] += job_failed(status, attempts, restarted_after_failure=pk in restarted)
        counts["skipped"] += status == JobStatus.SKIPPED
    return systems


def _outcome(closing: RequestEvent, history: list[RequestEvent]) -> str:
    if closing.kind in _COMPLETING:
        partly = any(e.kind == EventKind.PARTLY_REFUSED for e in history)
        return Outcome.PARTLY_REFUSED if partly else Outcome.COMPLETED
    return {
        EventKind.WITHDRAWN: Outcome.WITHDRAWN,
        EventKind.EXPIRED: Outcome.EXPIRED,
        EventKind.REFUSED: Outcome.REFUSED,
        EventKind.SUBJECT_REJECTED: Outcome.REFUSED,
    }[EventKind(closing.kind)]


def _refusal_ground(closing: RequestEvent, history: list[RequestEvent]) -> str:
    if closing.kind == EventKind.SUBJECT_REJECTED:
        return AGENT_REJECTED
    refusals = [e for e in history if e.kind in _REFUSING]
    return str(refusals[-1].data.get("ground", "")) if refusals else NOT_RECORDED


def snapshot(request: SubjectRequest) -> RequestOutcome | None:
    """Write (or rewrite) the closed request's statistics record; None while it is open.

    Called by ``record()`` when a request closes, by the backfill and before the retention
    purge; safe to call again: the same history gives the same row.
    """
    events = list(request.events.order_by("at", "pk"))
    closing = closing_event(events)
    if closing is None:
        return None
    history = events[: events.index(closing) + 1]  # what came after does not move the clock
    controller = get_controller()
    deadlines = clock_for(request, history, controller=controller).deadlines
    closed_on = local_date(closing.at, controller)
    extension = next((e for e in history if e.kind == EventKind.EXTENDED), None)
    refusal = next(
        (e for e in history if e.kind in (EventKind.REFUSED, EventKind.PARTLY_REFUSED)), None
    )
    # An extension never postpones a refusal notice (LEGAL.md §2): it is due within the month.
    refused_in_time = refusal is None or local_date(refusal.at, controller) <= deadlines.policy_due
    outcome, _ = RequestOutcome.objects.update_or_create(
        request_id=request.pk,
        defaults={
            "rights": sorted(request.requested_rights.values_list("right", flat=True)),
            "channel": request.channel,
            "language": request.language,
            "requester_type": request.requester_type,
            "received_on": request.received_on,
            "closed_on": closed_on,
            "outcome": _outcome(closing, history),
            "extended": deadlines.extended,
            "extended_on": deadlines.extended_on if deadlines.extended else None,
            "extension_ground": str(extension.data.get("ground", "")) if extension else "",
            "refusal_ground": _refusal_ground(closing, history),
            "review_outcome": next(
                (
                    str(e.data.get("outcome", ""))
                    for e in history
                    if e.kind == EventKind.DECISION_REVIEWED
                ),
                "",
            ),
            "on_time": closed_on <= deadlines.policy_due,
            "on_time_extended": closed_on <= deadlines.due and refused_in_time,
            "days_to_close": max(0, (closed_on - request.received_on).days),
            "systems": _systems(request, history),
            "forwarded": [
                {"kind": f.party.kind, "whole": f.whole}
                for f in request.forwardings.select_related("party")
                if f.forwarded_at <= closing.at
            ],
        },
    )
    return outcome


def closed_without_outcome() -> "QuerySet[SubjectRequest]":
    return SubjectRequest.objects.filter(status__in=CLOSED_STATUSES).filter(
        ~Exists(RequestOutcome.objects.filter(request_id=OuterRef("pk")))
    )


def backfill(*, limit: int | None = None) -> int:
    """Record the outcome of closed requests that have none (closed before outcomes were
    recorded); returns how many. Each in its own short transaction."""
    pks = closed_without_outcome().order_by("pk").values_list("pk", flat=True)
    count = 0
    for pk in pks[:limit] if limit else pks:
        with transaction.atomic():
            request = SubjectRequest.objects.select_for_update().filter(pk=pk).first()
            if request is not None and snapshot(request) is not None:
                count += 1
    return count
