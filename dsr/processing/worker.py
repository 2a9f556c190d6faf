"""The worker's side of a job: claim, lease and heartbeat, call the backend, settle.

The database holds the truth; Celery only carries job ids. A job is claimed with a
conditional UPDATE, so a duplicate delivery does nothing; a claimed job holds a lease that a
heartbeat extends, so a dead worker's job is claimed again once the lease runs out. Connector
calls happen outside any transaction; their outcome is recorded in a short one afterwards.
"""

import logging
import random
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from connectors import registry
from connectors.base import (
    Capability,
    ConnectorError,
    ConnectorUnavailable,
    ConnectorUnsupported,
    NeedsHuman,
    ObjectionKind,
    StillWorking,
)
from dsr.core import clock
from dsr.models import (
    ConnectorJob,
    JobStatus,
    RequestedRight,
)
from dsr.processing import callbacks, changes, gates
from dsr.processing.dispatch import advance, answers_first, dispatch
from dsr.processing.identity import identity_for_job
from dsr.processing.manual import hand_over
from dsr.processing.outcomes import erasure_data, store_erasure, store_export
from dsr.processing.plans import NEEDS_APPROVAL, plan_key
from dsr.rights import Right

logger = logging.getLogger(__name__)

# Sent inside the transaction that marks a job failed for good (kwargs: job); connected in
# ``dsr.receivers`` (the webhooks subscribed to ``job.failed``, the officers to be told).
job_failed = Signal()


def run_job(job_id: int) -> str:
    """The worker's side. Returns what happened, for logs and tests.

    The claim writes a fresh token; every later write (heartbeat, outcome, release) is made
    only while the job still carries that token, so a worker that lost its lease can never
    overwrite the outcome of the worker that took over."""
    now = timezone.now()
    lease = timedelta(seconds=settings.DSR_JOB_LEASE_SECONDS)
    token = uuid.uuid4().hex
    claimable = Q(status=JobStatus.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ) | Q(status=JobStatus.RUNNING, lease_until__lt=now)
    claimed = ConnectorJob.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        runs=F("runs") + 1,
        claim=token,
        lease_until=now + lease,
        started_at=now,
        stuck=False,
    )
    if not claimed:
        holder = ConnectorJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).first()
        if holder is not None and holder.lease_until is not None:
            # Redelivered while the lease of the worker that took it still runs: that worker
            # may have died (its lease then lapses) or may still be at it. Look again later.
            wait = max(1.0, (holder.lease_until - now).total_seconds() + 0.5)
            dispatch(job_id, countdown=wait)
            return "held elsewhere, checking again"
        return "not claimed"
    job = ConnectorJob.objects.select_related("request").get(pk=job_id)
    if not job.request.is_open and job.action != Capability.LIFT_RESTRICTION:
        _settle(job, status=JobStatus.SKIPPED, skipped_reason="The request was closed.")
        return "request closed"
    if job.action == Capability.ERASE and answers_first(job.request):
        # Queued before the person asked for a copy that is not sent yet: wait for it.
        _mine(job).update(
            status=JobStatus.PENDING, attempts=F("attempts") - 1, lease_until=None, claim=""
        )
        return "waiting for an answer to be sent first"
    if job.attempts > settings.DSR_JOB_MAX_ATTEMPTS:
        # Claimed again and again without an outcome: the worker dies on it (a hard time
        # limit, a crash). Stop before it takes the next one down too.
        return _failed(job, "Gave up: the job never finished (worker killed or timed out).")
    held: list[str] | None = None
    heartbeat: _Heartbeat | None = None
    started = time.monotonic()
    try:
        config = registry.systems()[job.system]
        held = gates.enter(job, config)
        if held is None:
            _release(job, delay=gates.wait_seconds(config))
            return "waiting for a slot"
        heartbeat = _Heartbeat(job.pk, token, held, lease)
        heartbeat.start()
        outcome = _execute(job)
    except NeedsHuman as handoff:
        outcome = (JobStatus.WAITING, {"note": handoff.instructions[:500]}, {})
    except ConnectorUnsupported as exc:
        if Capability(job.action) not in changes.CHANGES:
            return _unsupported(job, exc)
        # A change the system will not make: a person takes over, as for a system without it.
        outcome = (*changes.judge(job, None), {})
    except ConnectorUnavailable as exc:
        return _transient(job, exc, exc.retry_after)
    except ConnectorError as exc:
        return _failed(job, f"{type(exc).__name__}: {str(exc)[:400]}")
    except Exception as exc:  # a bug or an unexpected library error: keep it visible
        logger.exception("job %s crashed", job.pk)
        return _failed(job, f"{type(exc).__name__}: unexpected error (see the worker log)")
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        if held is not None:
            gates.leave(held, job)
    duration = int((time.monotonic() - started) * 1000)
    return _succeeded(job, outcome, duration)


def _execute(job: ConnectorJob) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Call the backend; returns (status, result, found). No transaction is open here."""
    backend = registry.connector(job.system)
    subject = identity_for_job(job)
    action = Capability(job.action)
    if action == Capability.LOCATE:
        located = backend.locate(subject)
        result: dict[str, Any] = {"found": located.found, "records": located.records}
        if located.found and previews_erasure(job):
            # The erasure's dry run, in the same job: the officer approves seeing its answer.
            preview = backend.preview_erasure(
                subject.with_found(located.identifiers),
                today=clock.today(),
                consent_only=consent_only(job),
            )
            result["preview"] = erasure_data(preview) if preview is not None else None
        return (
            JobStatus.SUCCEEDED,
            result,
            {k: list(v) for k, v in located.identifiers.items()},
        )
    if action == Capability.EXPORT:
        return JobStatus.SUCCEEDED, store_export(job, backend.export(subject)), {}
    if action == Capability.ERASE:
        erased = backend.erase(subject, today=clock.today(), consent_only=consent_only(job))
        result = store_erasure(job, subject, erased)
        if job.runs > 1:
            # An earlier run may have erased before it died: this run's count is not the
            # whole of it, so the letter gives none.
            result["repeated"] = True
        return JobStatus.SUCCEEDED, result, {}
    if action in changes.CHANGES and action not in registry.capabilities(job.system):
        # Nothing to ask the system: a person takes over, or the register answers.
        return (*changes.judge(job, None), {})
    if action == Capability.RECTIFY:
        asked = _rectification(job)
        if asked is None:
            return JobStatus.HELD, {"note": "An officer must state the corrected values."}, {}
        fields, statement = asked
        # The statement is read here from the request's record, never carried in the queue.
        done = backend.rectify(subject, fields, statement=statement)
        return (*changes.judge(job, done, statement=bool(statement)), {})
    if action == Capability.RESTRICT:
        return (*changes.judge(job, backend.restrict(subject)), {})
    if action == Capability.LIFT_RESTRICTION:
        return JobStatus.SUCCEEDED, changes.as_data(backend.lift_restriction(subject)), {}
    done = backend.object(subject, _objection_kind(job))
    return (*changes.judge(job, done), {})


def _rectification(job: ConnectorJob) -> tuple[dict[str, Any], str] | None:
    """The field changes and the supplementary statement; None while an officer has still to
    turn the requester's correction into field changes. A statement alone needs no such step."""
    right = RequestedRight.objects.filter(request=job.request, right=Right.RECTIFICATION).first()
    details = right.details if right else {}
    statement = str(details.get("statement") or "").strip()
    stated = details.get("changes")
    if stated is None:
        if statement and not str(details.get("correction") or "").strip():
            return {}, statement
        return None
    if not stated and not statement:
        return None
    return dict(stated), statement


def previews_erasure(job: ConnectorJob) -> bool:
    """Whether this locate is the first phase of an erasure an officer has to approve: then it
    also asks the system what the erasure would do there."""
    if Capability.ERASE not in registry.capabilities(job.system):
        return False
    rights = set(job.request.requested_rights.values_list("right", flat=True))
    return bool(rights & NEEDS_APPROVAL)


def consent_only(job: ConnectorJob) -> bool:
    """A consent withdrawal erases only consent-based data; an erasure request erases all."""
    rights = set(job.request.requested_rights.values_list("right", flat=True))
    return Right.CONSENT_WITHDRAWAL in rights and Right.ERASURE not in rights


def _objection_kind(job: ConnectorJob) -> ObjectionKind:
    for right in job.request.requested_rights.all():
        if plan_key(right.right, right.details) == "objection:particular_situation":
            return ObjectionKind.PROCESSING
    return ObjectionKind.DIRECT_MARKETING


def _mine(job: ConnectorJob) -> Any:
    """The job, only while this worker's claim is still on it."""
    return ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, claim=job.claim)


def _settle(job: ConnectorJob, **fields: Any) -> int:
    return int(_mine(job).update(lease_until=None, finished_at=timezone.now(), **fields))


def _succeeded(
    job: ConnectorJob, outcome: tuple[str, dict[str, Any], dict[str, Any]], duration: int
) -> str:
    status, result, found = outcome
    with transaction.atomic():
        updated = _settle(
            job, status=status, result=result, found=found, duration_ms=duration, last_error=""
        )
        if updated and status == JobStatus.SUCCEEDED:
            callbacks.consumed(job)  # what the system reported is in the result or the pages
    if not updated:
        return "lost the claim"  # another worker took over; its outcome stands
    if status == JobStatus.WAITING:
        hand_over(job)
    else:
        advance(job.request_id)
    return status


def _transient(job: ConnectorJob, exc: Exception, retry_after: float | None) -> str:
    attempts = ConnectorJob.objects.values_list("attempts", flat=True).get(pk=job.pk)
    message = f"{type(exc).__name__}: {str(exc)[:400]}"
    working = isinstance(exc, StillWorking)
    if attempts >= settings.DSR_JOB_MAX_ATTEMPTS and not working:
        return _failed(job, message)
    delay = float(retry_after or 60) if working else backoff(attempts, retry_after)
    if working:
        _mine(job).update(attempts=F("attempts") - 1)  # waiting is not failing
    with transaction.atomic():
        if _mine(job).update(
            status=JobStatus.QUEUED,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            dispatched_at=timezone.now(),
            lease_until=None,
            last_error=message,
        ):
            dispatch(job.pk, countdown=delay)
    return "retrying"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential with full jitter; a vendor's Retry-After is a floor, never shortened."""
    base = float(settings.DSR_JOB_BACKOFF_SECONDS) * (2 ** max(0, attempts - 1))
    ceiling = float(settings.DSR_JOB_BACKOFF_MAX_SECONDS)
    delay: float = min(ceiling, base) * random.uniform(0.5, 1.0)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return round(delay, 3)


def _unsupported(job: ConnectorJob, exc: ConnectorUnsupported) -> str:
    """The system said it does not do this: the job is skipped as not supported there (what
    the answer says), not failed and not "nothing found"."""
    with transaction.atomic():
        updated = _settle(
            job,
            status=JobStatus.SKIPPED,
            skipped_reason="This system does not support this action.",
            result={"unsupported": True},
            last_error=f"{type(exc).__name__}: {str(exc)[:400]}",
        )
    if updated:
        advance(job.request_id)
    return "not supported"


def _failed(job: ConnectorJob, message: str) -> str:
    with transaction.atomic():
        if _settle(job, status=JobStatus.FAILED, last_error=message[:500]):
            job_failed.send(sender=ConnectorJob, job=job)
    logger.warning("job %s on %s failed: %s", job.pk, job.system, message.split(":")[0])
    return "failed"


def _release(job: ConnectorJob, *, delay: float) -> None:
    """Give the claim back without counting an attempt (no slot free yet)."""
    with transaction.atomic():
        if _mine(job).update(
            status=JobStatus.QUEUED,
            attempts=F("attempts") - 1,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            dispatched_at=timezone.now(),
            lease_until=None,
        ):
            dispatch(job.pk, countdown=delay)


class _Heartbeat:
    """Extends the job's lease while the connector works, from a thread of its own. A failed
    renewal is tried again at the next beat; once the claim is gone it stops."""

    def __init__(self, job_id: int, claim: str, held: list[str], lease: timedelta) -> None:
        self.job_id, self.claim, self.held, self.lease = job_id, claim, held, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = max(0.5, self.lease.total_seconds() / 3)
        try:
            while not self._stop.wait(interval):
                try:
                    renewed = ConnectorJob.objects.filter(
                        pk=self.job_id, status=JobStatus.RUNNING, claim=self.claim
                    ).update(lease_until=timezone.now() + self.lease)
                    gates.keep(self.held)
                except Exception:  # the database or Redis blinked: try again at the next beat
                    logger.warning("heartbeat of job %s could not renew its lease", self.job_id)
                    connection.close()
                    continue
                if not renewed:
                    return
        finally:
            connection.close()
