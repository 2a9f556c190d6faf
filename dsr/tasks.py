"""Tasks of the case domain: thin wrappers that call services and are safe to run twice.

They take ids only: no personal data travels through the broker.
"""

from typing import Any

from celery import shared_task

from dsr.core import events, messages, taskqueue
from dsr.core.audit import catch_up, log_events
from dsr.core.files import purge_orphans
from dsr.core.outbox import purge_outbox
from dsr.services import (
    forwarding,
    notifications,
    opendsr_inbound,
    verification,
    webhook_subscriptions,
)
from dsr.services.answers import purge_expired
from dsr.services.digest import send_digest, send_digests
from dsr.services.retention import purge_closed


@shared_task(name="dsr.tasks.purge_outbox")
def purge_outbox_task() -> int:
    """Delete outbox e-mails past their retention (they carry personal data), and sent
    deliveries that belong to no request."""
    return purge_outbox() + taskqueue.purge_sent()


@shared_task(name="dsr.tasks.send_request_email", base=taskqueue.Owed)
def send_request_email(
    request_id: int,
    template: str,
    challenge_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    return messages.deliver(request_id, template, challenge_id, extra)


@shared_task(name="dsr.tasks.send_forwarded_request", base=taskqueue.Owed)
def send_forwarded_request(request_id: int, forwarding_id: int) -> bool:
    """The request as forwarded to a joint controller or customer organisation."""
    return forwarding.deliver(request_id, forwarding_id)


@shared_task(name="dsr.tasks.sweep_deliveries")
def sweep_deliveries_task() -> dict[str, int]:
    """Owed e-mails and packages whose message was lost, or whose worker died."""
    return taskqueue.sweep_deliveries()


@shared_task(name="dsr.tasks.send_staff_notice", base=taskqueue.Owed)
def send_staff_notice(user_id: int, kind: str, request_id: int, extra: dict[str, Any]) -> bool:
    return notifications.send_staff_notice(user_id, kind, request_id, extra)


@shared_task(name="dsr.tasks.send_digest", base=taskqueue.Owed)
def send_digest_task(user_id: int, day: str) -> bool:
    return send_digest(user_id, day)


@shared_task(name="dsr.tasks.purge_orphan_uploads")
def purge_orphan_uploads_task() -> int:
    """Stored uploads, export pages and packages no row refers to (the row's insert failed
    or its transaction rolled back, or the process died between the file and the row)."""
    return purge_orphans()


@shared_task(name="dsr.tasks.purge_expired_packages")
def purge_expired_packages_task() -> int:
    """Answer packages past their download period, and the pages they were made of."""
    return purge_expired()


@shared_task(name="dsr.tasks.audit_catch_up")
def audit_catch_up_task() -> int:
    """Request events a dead process did not get to log in the audit chain."""
    return catch_up()


@shared_task(name="dsr.tasks.audit_log_events")
def audit_log_events_task(event_ids: list[int]) -> None:
    """Chain request events whose request found the audit head busy (it does not wait)."""
    log_events(event_ids)


@shared_task(name="dsr.tasks.send_digests")
def send_digests_task() -> int:
    """The daily e-mail to each officer of their due-soon and overdue requests."""
    return send_digests()


@shared_task(name="dsr.tasks.sweep_unverified")
def sweep_unverified_task() -> list[int]:
    """Remind requesters who have not confirmed their address; close what expired."""
    reminded, expired = verification.sweep_unverified()
    return [reminded, expired]


@shared_task(name="dsr.tasks.refresh_open_clocks")
def refresh_open_clocks_task() -> int:
    return events.refresh_open_clocks()


@shared_task(name="dsr.tasks.purge_records")
def purge_records_task() -> int:
    """Closed requests past their retention period (LEGAL.md §5); the statistics stay."""
    return purge_closed().purged


@shared_task(name="dsr.tasks.send_opendsr_callback", base=taskqueue.Owed)
def send_opendsr_callback(inbound_id: int, index: int) -> bool:
    """A signed OpenDSR status callback to a controller whose processor we are."""
    return opendsr_inbound.deliver_callback(inbound_id, index)


@shared_task(name="dsr.tasks.deliver_webhook", base=taskqueue.Owed)
def deliver_webhook(delivery_id: int) -> bool:
    """One event posted to one subscriber (owed: retried with backoff by the outbox)."""
    return webhook_subscriptions.deliver(delivery_id)


@shared_task(name="dsr.tasks.webhook_overdue")
def webhook_overdue_task() -> int:
    return webhook_subscriptions.notify_overdue()
