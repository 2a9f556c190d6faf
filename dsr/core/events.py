"""A request's history: append an event, derive its status and due dates from the events.

Closing a request sends ``request_closed``; what must follow a closure is connected to it
in one place (``dsr.receivers``), not written into ``record()``.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User
from dsr.core import audit
from dsr.core.clock import clock_for
from dsr.models import (
    CLOSED_STATUSES,
    EventKind,
    ReferenceCounter,
    RequestEvent,
    Status,
    SubjectRequest,
)

# Sent inside the transaction for every event recorded on a closed request (kwargs: request,
# event, closing), ``closing`` True for the event that closed it. Receivers (``dsr.receivers``)
# must be safe to run again for later events: statistics, identity documents, duplicates.
request_closed = Signal()
# Sent inside the transaction when an event changes the request's status (kwargs: request,
# old, new): the OpenDSR status callbacks hang on it.
status_changed = Signal()
# Sent inside the transaction for every event recorded (kwargs: request, event), after the
# status and due dates are brought in line: what subscribers outside hear (webhooks) and
# who must be told of it (``dsr.services.notifications``); connected in ``dsr.receivers``.
event_recorded = Signal()

_STATUS_AFTER = {
    EventKind.SUBMITTED: Status.RECEIVED,
    EventKind.VERIFIED: Status.VERIFIED,
    EventKind.PROCESSING_STARTED: Status.IN_PROGRESS,
    EventKind.PROCESSING_FINISHED: Status.IN_REVIEW,
    EventKind.ANSWER_RELEASED: Status.COMPLETED,
    EventKind.COMPLETED: Status.COMPLETED,
    EventKind.ANSWERED_TOGETHER: Status.COMPLETED,
    EventKind.WITHDRAWN: Status.WITHDRAWN,
    EventKind.EXPIRED: Status.REFUSED,
    EventKind.REFUSED: Status.REFUSED,
    EventKind.SUBJECT_REJECTED: Status.REFUSED,
}


def derive_status(events: Iterable[RequestEvent]) -> Status:
    status = Status.RECEIVED
    for event in events:
        if status in CLOSED_STATUSES:
            break  # nothing reopens a closed request
        if event.kind == EventKind.VERIFICATION_SENT and status == Status.RECEIVED:
            status = Status.AWAITING_VERIFICATION
        elif event.kind in _STATUS_AFTER:
            status = _STATUS_AFTER[EventKind(event.kind)]
    return status


_CLOSING = frozenset(kind for kind, status in _STATUS_AFTER.items() if status in CLOSED_STATUSES)


def closing_event(events: Iterable[RequestEvent]) -> RequestEvent | None:
    """The event that closed the request (nothing reopens one, so the first that closes)."""
    return next((e for e in events if e.kind in _CLOSING), None)


def record(
    request: SubjectRequest,
    kind: str,
    *,
    actor: User | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> RequestEvent:
    """Append an event and bring the cached status and due dates in line with the history."""
    event = RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor,
        reason=reason,
        data=data or {},
        at=at or timezone.now(),
    )
    audit.event_recorded(event)
    before = request.status
    refresh(request)
    if request.status != before:
        status_changed.send(sender=SubjectRequest, request=request, old=before, new=request.status)
    event_recorded.send(sender=SubjectRequest, request=request, event=event)
    if request.status in CLOSED_STATUSES:
        request_closed.send(
            sender=SubjectRequest, request=request, event=event, closing=kind in _CLOSING
        )
    return event


def refresh(request: SubjectRequest) -> None:
    events = list(request.events.order_by("at", "pk"))
    clock = clock_for(request, events)
    request.status = derive_status(events)
    request.due_on = clock.deadlines.due
    request.strict_due_on = (
        clock.deadlines.strict_extended_due
        if clock.deadlines.extended
        else clock.deadlines.strict_due
    )
    request.extended = clock.deadlines.extended
    request.paused = clock.deadlines.paused_now and request.status not in CLOSED_STATUSES
    verified = next((e for e in events if e.kind == EventKind.VERIFIED), None)
    request.verified_at = verified.at if verified else None
    request.verification_method = verified.data.get("method", "") if verified else ""
    request.save(
        update_fields=[
            "status",
            "due_on",
            "strict_due_on",
            "extended",
            "paused",
            "verified_at",
            "verification_method",
            "updated_at",
        ]
    )


def next_reference(year: int) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"DSR-{year}-{counter.last:05d}"


def refresh_open_clocks() -> int:
    """Paused clocks move every day; keep the cached due dates current."""
    count = 0
    for request in SubjectRequest.objects.filter(paused=True):
        with transaction.atomic():
            refresh(request)
        count += 1
    return count
