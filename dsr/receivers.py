"""What follows from the case domain's events, connected in one place (``DsrConfig.ready``).

The core sends the signals (``request_closed``, ``status_changed``, ``letter_context``,
``letter_done``) without
knowing who listens, so it never imports the use cases above it.
"""

from typing import Any

from dsr.core.events import event_recorded, request_closed, status_changed
from dsr.core.files import purge_id_documents
from dsr.core.messages import letter_context, letter_done
from dsr.core.taskqueue import delivery_failed
from dsr.models import ConnectorJob, EventKind, RequestEvent, Status, SubjectRequest, WebhookEvent
from dsr.processing import callbacks
from dsr.processing.dispatch import release_waiting_erasures
from dsr.processing.lifts import release_held_lifts
from dsr.processing.start import release_duplicates
from dsr.processing.worker import job_failed
from dsr.services import (
    answers,
    completion,
    fees,
    forwarding,
    notifications,
    opendsr_inbound,
    outcomes,
    refusals,
    webhook_subscriptions,
)


def on_request_closed(
    *, request: SubjectRequest, event: RequestEvent, closing: bool, **_: Any
) -> None:
    if closing:
        outcomes.snapshot(request)  # the statistics outlive the request (LEGAL.md §5)
    purge_id_documents(request)  # identity documents never outlive the request (LEGAL.md §3)
    callbacks.forget_finished(request)  # nor what systems reported by callback
    release_duplicates(request)  # requests that waited on this one's work do their own now
    release_waiting_erasures(request)  # erasures that waited for this answer to be sent
    if closing and request.status == Status.COMPLETED:
        webhook_subscriptions.notify(
            WebhookEvent.REQUEST_COMPLETED, request=request, once=str(request.pk)
        )


# The events subscribers hear of as they are recorded (completion: when the request closes).
WEBHOOK_EVENTS: dict[str, WebhookEvent] = {
    EventKind.SUBMITTED: WebhookEvent.REQUEST_CREATED,
    EventKind.VERIFIED: WebhookEvent.REQUEST_VERIFIED,
}


def on_event_recorded(*, request: SubjectRequest, event: RequestEvent, **_: Any) -> None:
    webhook_event = WEBHOOK_EVENTS.get(event.kind)
    if webhook_event is not None:
        webhook_subscriptions.notify(webhook_event, request=request, once=str(request.pk))


def on_job_failed(*, job: ConnectorJob, **_: Any) -> None:
    webhook_subscriptions.notify(WebhookEvent.JOB_FAILED, job=job)


def on_status_changed(*, request: SubjectRequest, old: str, new: str, **_: Any) -> None:
    opendsr_inbound.status_changed(request, old, new)  # the controller's status callbacks


def add_letter_context(
    *, request: SubjectRequest, template: str, extra: dict[str, Any] | None = None, **_: Any
) -> dict[str, Any]:
    if template == "refused":
        return refusals.refusal_context(request)
    if template == "completed":
        return completion.outcome(request) | forwarding.letter_context(request, extra)
    if template == "answer_ready":
        return answers.answer_context(request) | forwarding.letter_context(request, extra)
    if template == forwarding.FORWARDED_TEMPLATE:
        return forwarding.letter_context(request, extra)
    if template == "fee_requested":
        return fees.fee_context(request)
    return {}


def after_letter(*, request: SubjectRequest, template: str, **_: Any) -> None:
    if template == "refused":
        # Art. 18(3): the requester was told first (or gets the posted copy), then the
        # restriction of an assessed objection is lifted.
        release_held_lifts(request)


def connect() -> None:
    request_closed.connect(on_request_closed, dispatch_uid="dsr.request_closed")
    status_changed.connect(on_status_changed, dispatch_uid="dsr.status_changed")
    letter_context.connect(add_letter_context, dispatch_uid="dsr.letter_context")
    letter_done.connect(after_letter, dispatch_uid="dsr.letter_done")
    event_recorded.connect(on_event_recorded, dispatch_uid="dsr.event_recorded")
    job_failed.connect(on_job_failed, dispatch_uid="dsr.job_failed")
    # Officers are told what waits for them (a proposal, an answer, a failure, a new case).
    event_recorded.connect(notifications.on_event, dispatch_uid="dsr.notify_event")
    job_failed.connect(notifications.on_job_failed, dispatch_uid="dsr.notify_job_failed")
    delivery_failed.connect(
        notifications.on_delivery_failed, dispatch_uid="dsr.notify_delivery_failed"
    )
