"""Handing work to Celery by task name: owed work through the outbox, jobs after the commit.

By name, not by importing the task: a task module imports the code it runs, and that code is
what asks for the task, so importing the task here would close a circle. Every task module is
imported when Django starts (``DsrConfig.ready``), so a name always finds its task, eager mode
in the tests included.

Work that leaves the database (an e-mail, the answer package) is *owed* (``owe``): a
``Delivery`` row written in the transaction of the change that owes it, published to the
broker after the commit, and published again by ``sweep_deliveries`` when it is overdue (the
broker was down, the message was lost, the worker died). The task claims the row before it
does the work and records the outcome after it, so a message that arrives twice does the work
once. Connector jobs need none of this: their ``ConnectorJob`` row is their own outbox
(``dsr.processing.sweep``).
"""

import contextlib
import logging
import smtplib
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from celery import Task, signature
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerError

from dsr.core.errors import TryLater
from dsr.models import Delivery, DeliveryState

logger = logging.getLogger(__name__)

# Sent inside the transaction that records owed work as failed for good (kwargs: delivery).
delivery_failed = Signal()

# Publishing gives up quickly: a broker that is down leaves the row owed for the sweep, and
# the person filing a request is not kept waiting for it.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def send(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task now (the caller has committed, or runs outside a transaction)."""
    options: dict[str, Any] = {"retry": True, "retry_policy": PUBLISH_RETRY}
    if countdown is not None:
        options["countdown"] = countdown
    signature(name, args=args).apply_async(**options)


def send_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task once the surrounding transaction has committed (never if it rolls back).
    For work whose own row is its outbox (connector jobs: the sweep sends what the broker did
    not take); everything else is ``owe``d."""

    def publish_job() -> None:
        try:
            send(name, *args, countdown=countdown)
        except Exception as exc:
            if not unreachable(exc):
                raise
            logger.warning(
                "%s%s not queued: the broker is unreachable (%s); the sweep queues it",
                name,
                tuple(args),
                type(exc).__name__,
            )

    transaction.on_commit(publish_job)


def owe(
    name: str,
    *args: Any,
    label: str,
    request_id: int | None = None,
    key: str = "",
    countdown: float | None = None,
    repeatable: bool = False,
) -> Delivery:
    """Record that task ``name`` is owed with ``args`` (ids and names, nothing personal), in
    the caller's transaction, and publish it once that commits. With a ``key``, owing the same
    work again is a no-op. ``repeatable``: the work may be done again whatever happened before
    (never true of an e-mail)."""
    now = timezone.now()
    due = now + timedelta(seconds=countdown or 0)
    delivery, created = Delivery.objects.get_or_create(
        key=key or f"{label}:{uuid.uuid4().hex}",
        defaults={
            "task": name,
            "args": list(args),
            "label": label,
            "request_id": request_id,
            "repeatable": repeatable,
            "due_at": due,
            "dispatched_at": now,
        },
    )
    if created:
        pk = delivery.pk
        transaction.on_commit(lambda: publish(pk, countdown=countdown))
    return delivery


def publish(pk: int, *, countdown: float | None = None) -> bool:
    """Hand an owed row to the broker; False when the broker is unreachable (the row stays
    owed and the sweep publishes it later)."""
    task = Delivery.objects.filter(pk=pk).values_list("task", flat=True).first()
    if task is None:
        return False
    options: dict[str, Any] = {"retry": True, "retry_policy": PUBLISH_RETRY}
    if countdown:
        options["countdown"] = countdown
    try:
        signature(task, kwargs={"delivery": pk}).apply_async(**options)
    except Exception as exc:
        if not unreachable(exc):
            raise
        logger.warning(
            "delivery %s stays owed: the broker is unreachable (%s); the sweep sends it",
            pk,
            type(exc).__name__,
        )
        return False
    return True


def unreachable(exc: BaseException) -> bool:
    return isinstance(exc, (BrokerError, OSError, *_redis_errors()))


def _redis_errors() -> tuple[type[Exception], ...]:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (RedisConnectionError, RedisTimeoutError)


# The delivery being worked on in this thread, for the e-mail's Message-ID.
_current: ContextVar[Delivery | None] = ContextVar("dsr_delivery", default=None)


def current_key() -> str:
    """The idempotency key of the owed work running now ("" outside one)."""
    delivery = _current.get()
    return delivery.key if delivery is not None else ""


def note_message_id(message_id: str) -> None:
    """Keep the message id the e-mail went out with, recorded when the delivery is."""
    delivery = _current.get()
    if delivery is not None:
        delivery.message_id = message_id[:300]


class Owed(Task):  # type: ignore[type-arg]
    """The base of every task that does owed work. Called with ``delivery=<pk>`` (as the
    outbox publishes it) it claims the row, does the work with the row's arguments and
    records the outcome; called without (a test, a shell) it simply runs."""

    # The published message carries ``delivery`` only, which the work's signature lacks.
    typing = False

    def __call__(self, *args: Any, delivery: int | None = None, **kwargs: Any) -> Any:
        if delivery is None:
            return super().__call__(*args, **kwargs)
        return run(delivery, self.run)


def run(pk: int, work: Callable[..., Any]) -> Any:
    now = timezone.now()
    lease = timedelta(seconds=settings.DSR_DELIVERY_LEASE_SECONDS)
    try:
        claimed = Delivery.objects.filter(pk=pk, state=DeliveryState.OWED).update(
            state=DeliveryState.SENDING,
            attempts=F("attempts") + 1,
            lease_until=now + lease,
        )
        delivery = Delivery.objects.get(pk=pk) if claimed else None
    except DatabaseError as exc:
        # The row is still owed (or its claim did not commit): the sweep publishes it again.
        logger.warning("delivery %s not claimed: %s; the sweep sends it", pk, type(exc).__name__)
        return None
    if delivery is None:
        return None  # done already, being done by another worker, or cancelled
    token = _current.set(delivery)
    # With the database outbox as mail server, the stored e-mail and the sent-letter copy
    # commit together with "sent", or not at all. Otherwise no transaction is held open around
    # the call to the mail server (or the package build): what it takes is recorded after it,
    # and a crash in between leaves "sending" for the sweep to decide.
    together = not delivery.repeatable and transactional_email()
    try:
        with transaction.atomic() if together else contextlib.nullcontext():
            result = work(*delivery.args)
            _mark_sent(delivery)
    except Exception as exc:
        if delivery.message_id and not transactional_email():
            # The mail server took it: it is sent, whatever failed after (its copy).
            _sent_anyway(delivery, exc)
        else:
            _record_failure(delivery, exc)
        return None
    finally:
        _current.reset(token)
    return result


def _mark_sent(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENT,
        sent_at=timezone.now(),
        lease_until=None,
        message_id=delivery.message_id,
        error="",
    )


def transactional_email() -> bool:
    """The e-mail backend stores the message in the database, in the transaction that marks
    it sent (``transactional = True``): a send that did not commit did not happen, so it can
    safely be done again."""
    return bool(getattr(import_string(settings.EMAIL_BACKEND), "transactional", False))


def _sent_anyway(delivery: Delivery, exc: BaseException) -> None:
    reason = f"Sent; recording it failed ({_reason(exc)})"
    try:
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            message_id=delivery.message_id,
            error=reason,
        )
    except DatabaseError:
        logger.warning("delivery %s was sent; recording it failed", delivery.pk)


def transient(exc: BaseException) -> bool:
    """A failure worth trying again: the database, the broker, the mail server or the storage
    was unreachable or busy. A refused address or a bug is not."""
    if isinstance(exc, TryLater):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return unreachable(exc)


def backoff(attempts: int) -> float:
    base = settings.DSR_DELIVERY_BACKOFF_SECONDS
    return float(min(base * 2 ** max(attempts - 1, 0), settings.DSR_DELIVERY_BACKOFF_MAX_SECONDS))


def _reason(exc: BaseException) -> str:
    """In words without personal data: an exception's message may carry an address."""
    name = type(exc).__name__
    if isinstance(exc, TryLater):
        return f"{name} ({exc})"[:300]  # its message is written to carry nothing personal
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} (SMTP {exc.smtp_code})"
    return name


def _record_failure(delivery: Delivery, exc: BaseException) -> None:
    reason = _reason(exc)
    now = timezone.now()
    again = transient(exc) and delivery.attempts < settings.DSR_DELIVERY_MAX_ATTEMPTS
    try:
        with transaction.atomic():
            if again:
                delay = backoff(delivery.attempts)
                Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
                    state=DeliveryState.OWED,
                    due_at=now + timedelta(seconds=delay),
                    dispatched_at=now,
                    lease_until=None,
                    error=reason,
                )
                transaction.on_commit(lambda: publish(delivery.pk, countdown=delay))
            elif Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
                state=DeliveryState.FAILED, lease_until=None, error=reason
            ):
                delivery_failed.send(sender=Delivery, delivery=delivery)
    except DatabaseError:
        # Not even the failure could be written: the lease runs out and the sweep decides.
        logger.warning("delivery %s: its failure (%s) could not be recorded", delivery.pk, reason)
        return
    if again:
        logger.warning(
            "delivery %s (%s) failed (%s), attempt %s; it is tried again",
            delivery.pk,
            delivery.label,
            reason,
            delivery.attempts,
        )
    else:
        logger.error("delivery %s (%s) failed for good: %s", delivery.pk, delivery.label, reason)


UNKNOWN_OUTCOME = "The worker stopped while sending: it may have gone out; check before retrying"


def sweep_deliveries(*, now: datetime | None = None) -> dict[str, int]:
    """Publish owed work that is overdue; decide what a dead worker left in ``sending``."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.DSR_DELIVERY_GRACE_SECONDS)
    counts = {"published": 0, "reclaimed": 0, "unknown": 0}
    overdue = Delivery.objects.filter(state=DeliveryState.OWED, due_at__lte=grace).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=grace)
    )
    for pk in overdue.values_list("pk", flat=True):
        if Delivery.objects.filter(pk=pk, state=DeliveryState.OWED).update(dispatched_at=now):
            counts["published"] += publish(pk)
    transactional = transactional_email()
    stale = Delivery.objects.filter(state=DeliveryState.SENDING, lease_until__lt=now)
    for pk, repeatable in stale.values_list("pk", "repeatable"):
        if repeatable or transactional:
            if Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING).update(
                state=DeliveryState.OWED, due_at=now, dispatched_at=now, lease_until=None
            ):
                counts["reclaimed"] += 1
                publish(pk)
        elif Delivery.objects.filter(pk=pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.FAILED, lease_until=None, error=UNKNOWN_OUTCOME
        ):
            counts["unknown"] += 1
            logger.error("delivery %s: the worker stopped while sending it", pk)
    return counts


def purge_sent(*, now: datetime | None = None) -> int:
    """Sent work that belongs to no request (officers' digests), after the outbox's retention;
    a request's deliveries go with the request."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DSR_OUTBOX_RETENTION_DAYS)
    deleted, _ = Delivery.objects.filter(
        request__isnull=True, state=DeliveryState.SENT, sent_at__lt=cutoff
    ).delete()
    return deleted


def retry(delivery: Delivery) -> bool:
    """An officer sends failed work again (the caller records who and why)."""
    if not Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.OWED,
        attempts=0,
        due_at=timezone.now(),
        dispatched_at=timezone.now(),
        error="",
    ):
        return False
    pk = delivery.pk
    transaction.on_commit(lambda: publish(pk))
    return True
