"""Webhooks out: what happened (a request created, verified, completed or overdue, a connector
job failed) posted to the URLs privacy admins subscribed.

Each delivery is a ``WebhookDelivery`` (the log of its attempts) and an owed outbox row written
in the transaction of the change (``dsr.core.taskqueue.owe``), so a lost broker message or a
dead worker never loses one; a receiver that is down or answers 5xx/429 is tried again with the
outbox's backoff. The body carries event names, references and ids, never personal data; it is
signed with HMAC-SHA256 over the raw body with the subscription's secret
(``X-DSR-Signature: sha256=<hex>``), and goes only where the egress rules allow
(``connectors.egress``: public https, or a host on DSR_WEBHOOK_ALLOWED_HOSTS).
"""

import hashlib
import hmac
import json
import logging
import secrets
from datetime import date
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.egress import EgressRefused, check_egress, egress_client
from dsr.core import taskqueue
from dsr.core.clock import today
from dsr.core.crypto import decrypt_text, encrypt_text
from dsr.core.errors import TryLater
from dsr.models import (
    CLOSED_STATUSES,
    ConnectorJob,
    Delivery,
    SubjectRequest,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "dsr.tasks.deliver_webhook"
LABEL = "webhook"
SIGNATURE_HEADER = "X-DSR-Signature"
EVENT_HEADER = "X-DSR-Event"
DELIVERY_HEADER = "X-DSR-Delivery"


class WebhookRefused(Exception):
    """The receiver refused the delivery (4xx) or the egress rules forbid its URL: trying
    again will not help."""


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def subscribe(
    *, name: str, url: str, events: list[str], created_by: Any = None, secret: str = ""
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (shown to the admin once, kept encrypted)."""
    secret = secret or new_secret()
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=url,
        events=sorted(set(events) & set(WebhookEvent.values)),
        secret_encrypted=encrypt_text(secret),
        created_by=created_by,
    )
    return subscription, secret


def set_secret(subscription: WebhookSubscription, secret: str) -> None:
    subscription.secret_encrypted = encrypt_text(secret)
    subscription.save(update_fields=["secret_encrypted"])


def secret_of(subscription: WebhookSubscription) -> str:
    return decrypt_text(subscription.secret_encrypted)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def egress_problem(url: str) -> str:
    """Why deliveries to ``url`` would be refused ("" if they would go)."""
    try:
        check_egress(url)
    except EgressRefused as exc:
        return str(exc)
    return ""


def _subscribers(event: str) -> list[WebhookSubscription]:
    # A handful of rows: filtered here, so it works the same on SQLite and PostgreSQL.
    return [s for s in WebhookSubscription.objects.filter(active=True) if event in s.events]


def notify(
    event: str,
    *,
    request: SubjectRequest | None = None,
    job: ConnectorJob | None = None,
    once: str = "",
) -> int:
    """Owe a delivery of ``event`` to every subscriber, in the caller's transaction. ``once``
    makes it once per subscriber and that string (an event that could be noticed twice)."""
    owed = 0
    request_id = request.pk if request is not None else (job.request_id if job else None)
    for subscription in _subscribers(event):
        key = f"{LABEL}:{event}:{subscription.pk}:{once}" if once else ""
        if key and Delivery.objects.filter(key=key).exists():
            continue
        data: dict[str, Any] = {"request": request_id}
        if job is not None:
            data["job"] = job.pk
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event=event, request_id=request_id, payload=data
        )
        taskqueue.owe(
            DELIVER_TASK,
            delivery.pk,
            label=LABEL,
            request_id=request_id,
            key=key,
            repeatable=True,  # a receiver may get a delivery twice: X-DSR-Delivery tells
        )
        owed += 1
    return owed


def body_of(delivery: WebhookDelivery) -> dict[str, Any]:
    """What is posted: built from the records when first sent (the reference exists by then),
    then kept, so every retry sends the same body and signature."""
    if "event" in delivery.payload:
        return dict(delivery.payload)
    ids = delivery.payload
    body: dict[str, Any] = {
        "event": delivery.event,
        "delivery": delivery.pk,
        "occurred_at": delivery.created_at.isoformat(),
    }
    item = SubjectRequest.objects.filter(pk=ids.get("request")).first()
    if item is not None:
        body["request"] = {
            "id": item.pk,
            "reference": item.reference,
            "status": item.status,
            "rights": sorted(item.rights),
            "channel": item.channel,
            "received_on": item.received_on.isoformat(),
            "due_on": item.due_on.isoformat(),
        }
    job = ConnectorJob.objects.filter(pk=ids.get("job")).first() if "job" in ids else None
    if job is not None:
        body["job"] = {"id": job.pk, "system": job.system, "action": job.action}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=body)
    return body


def deliver(delivery_id: int) -> bool:
    """Post one delivery (the outbox task). Raises TryLater for the outbox to retry, and
    WebhookRefused when retrying will not help; every attempt is logged on the row."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or not delivery.subscription.active:
        return False  # deleted or switched off since: nothing is owed any more
    subscription = delivery.subscription
    raw = json.dumps(body_of(delivery), sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "dsr-portal-webhooks/1",
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: sign(secret_of(subscription), raw),
    }
    timeout = float(settings.DSR_WEBHOOK_SUBSCRIPTION_TIMEOUT_SECONDS)
    try:
        with egress_client(timeout=timeout) as client:
            response = client.post(subscription.url, content=raw, headers=headers)
    except EgressRefused as exc:
        _attempted(delivery, status=None, error=f"refused by the egress rules: {exc}")
        raise WebhookRefused("the egress rules refuse the subscription's URL") from exc
    except httpx.HTTPError as exc:
        _attempted(delivery, status=None, error=type(exc).__name__)
        raise TryLater(f"receiver unreachable ({type(exc).__name__})") from exc
    code = response.status_code
    if 200 <= code < 300:
        _attempted(delivery, status=code, error="", delivered=True)
        return True
    _attempted(delivery, status=code, error=f"HTTP {code}")
    if code >= 500 or code in (408, 425, 429):
        raise TryLater(f"receiver answered HTTP {code}")
    raise WebhookRefused(f"receiver answered HTTP {code}")


def _attempted(
    delivery: WebhookDelivery, *, status: int | None, error: str, delivered: bool = False
) -> None:
    now = timezone.now()
    delivery.attempts += 1
    fields: dict[str, Any] = {
        "attempts": delivery.attempts,
        "last_status": status,
        "last_error": error[:300],
        "last_attempt_at": now,
    }
    if delivered:
        fields["delivered_at"] = now
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    host = httpx.URL(delivery.subscription.url).host
    logger.info(
        "webhook %s (%s) to subscription %s at %s: %s",
        delivery.pk,
        delivery.event,
        delivery.subscription_id,
        host,
        "delivered" if delivered else (error or status),
    )


def notify_overdue(*, on: date | None = None) -> int:
    """Owe ``request.overdue`` once per open request and due date it has passed (beat)."""
    if not _subscribers(WebhookEvent.REQUEST_OVERDUE):
        return 0
    on = on or today()
    overdue = (
        SubjectRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .filter(due_on__lt=on, paused=False)
        .order_by("due_on", "pk")
    )
    owed = 0
    for item in overdue.iterator():
        with transaction.atomic():
            owed += notify(
                WebhookEvent.REQUEST_OVERDUE, request=item, once=f"{item.pk}:{item.due_on}"
            )
    return owed
