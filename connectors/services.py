"""The fan-out: jobs per (request, system, action), claimed by workers, retried, swept.

The database holds the truth; Celery only carries job ids. A job is claimed with a
conditional UPDATE, so a duplicate delivery does nothing; a claimed job holds a lease that a
heartbeat extends, so a dead worker's job is claimed again once the lease runs out. Connector
calls happen outside any transaction; their outcome is recorded in a short one afterwards.
"""

import json
import logging
import random
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import gates, registry
from connectors.base import (
    Capability,
    ChangeResult,
    ConnectorError,
    ConnectorUnavailable,
    ErasureResult,
    NeedsHuman,
    ObjectionKind,
    StillWorking,
    SubjectIdentity,
)
from connectors.models import (
    DONE,
    ConnectorJob,
    ExportPart,
    JobStatus,
    NoticeStatus,
    RecipientNotice,
    ScheduledErasure,
)
from connectors.plans import NEEDS_APPROVAL, plan, plan_key
from dsr.crypto import encrypt_bytes
from dsr.models import (
    EventKind,
    Proposal,
    ProposalKind,
    RequestedRight,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.rights import Right

logger = logging.getLogger(__name__)


class JobError(Exception):
    """An officer's action on a job was refused; the message is for them."""


# --- starting ---------------------------------------------------------------------------------


def identity_for(request: SubjectRequest) -> SubjectIdentity:
    """Whom the systems look for. Only identifiers someone checked: the e-mail address the
    requester proved they control, and (after an officer verified the person) the telephone
    and customer number they gave. Typed-in numbers alone would let anyone who knows a
    stranger's customer number receive that stranger's data."""
    trusted = request.verification_method == VerificationMethod.OFFICER
    email_proven = request.verification_method in (
        VerificationMethod.ACCOUNT,
        VerificationMethod.EMAIL_LINK,
        VerificationMethod.EMAIL_CODE,
        VerificationMethod.OFFICER,
    )
    identity = SubjectIdentity(
        email=request.email if email_proven else "",
        phone=request.phone if trusted else "",
        customer_number=request.customer_number if trusted else "",
        name=request.name,
        request_key=request.reference,
    )
    for found in request.jobs.filter(status=JobStatus.SUCCEEDED).values_list("found", flat=True):
        if found:
            identity = identity.with_found(found)
    return identity


def needs_approval(request: SubjectRequest) -> bool:
    rights = set(request.requested_rights.values_list("right", flat=True))
    approved = request.events.filter(kind=EventKind.APPROVED).exists()
    return bool(rights & NEEDS_APPROVAL) and not approved


def start_if_ready(request: SubjectRequest) -> bool:
    """Called when a request is verified (and again when it is approved)."""
    if request.status != Status.VERIFIED or needs_approval(request):
        return False
    if request.duplicate_of is not None and request.duplicate_of.is_open:
        return False  # the earlier request does the work
    return start_processing(request) > 0


@transaction.atomic
def start_processing(request: SubjectRequest, *, actor: Any = None) -> int:
    from dsr.services.requests import record

    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    systems = registry.systems()
    if not systems or request.jobs.exists() or not request.is_open:
        return 0  # with no system configured the officer works the request by hand
    rights = {r.right: r.details for r in request.requested_rights.all()}
    planned = plan(rights, {alias: config.stage for alias, config in systems.items()})
    held = _held_actions(rights)
    for item in planned:
        job = ConnectorJob(request=request, system=item.system, action=item.action, step=item.step)
        if item.action not in registry.capabilities(item.system):
            job.status = JobStatus.SKIPPED
            job.skipped_reason = "This system does not support this action."
        elif item.action in held:
            # A person must decide what exactly goes: start the systems in scope, skip the rest.
            job.status = JobStatus.HELD
            job.result = {"note": held[item.action]}
        job.save()
    record(request, EventKind.PROCESSING_STARTED, actor=actor, data={"jobs": len(planned)})
    transaction.on_commit(lambda: advance(request.pk))
    return len(planned) or 1


def _held_actions(rights: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Actions that wait for an officer: an erasure of only some data, and the erasure that
    follows a withdrawn consent (what rests on that consent is named in free text)."""
    held: dict[str, str] = {}
    if rights.get(Right.ERASURE, {}).get("scope") == "parts":
        held[Capability.ERASE] = (
            "Erase only the data the requester named: start the systems in scope, skip the others."
        )
    if Right.CONSENT_WITHDRAWAL in rights and Right.ERASURE not in rights:
        held[Capability.ERASE] = (
            "Erase the data that rested only on the withdrawn consent: start the systems "
            "concerned, skip the others."
        )
    return held


# --- moving on ----------------------------------------------------------------------------------


def advance(request_id: int) -> None:
    """Dispatch the jobs whose turn it is; finish the fan-out once every job is done."""
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return
        if request.is_open:
            jobs = list(request.jobs.all())
        else:
            # Withdrawn or refused: nothing more happens in the systems, except lifting a
            # restriction that only held the data while an objection was assessed.
            request.jobs.filter(
                status__in=[JobStatus.PENDING, JobStatus.QUEUED, JobStatus.HELD, JobStatus.WAITING]
            ).exclude(action=Capability.LIFT_RESTRICTION).update(
                status=JobStatus.SKIPPED,
                skipped_reason="The request was closed.",
                finished_at=timezone.now(),
            )
            jobs = list(request.jobs.filter(action=Capability.LIFT_RESTRICTION))
            if all(job.status in DONE for job in jobs):
                return
        open_steps = [job.step for job in jobs if job.status not in DONE]
        if not open_steps:
            _finish(request)
            return
        step = min(open_steps)
        located = {
            job.system: bool(job.result.get("found"))
            for job in jobs
            if job.action == Capability.LOCATE and job.status == JobStatus.SUCCEEDED
        }
        to_send: list[int | None] = []
        for job in jobs:
            if job.step != step or job.status != JobStatus.PENDING:
                continue
            if job.action != Capability.OBJECT and located.get(job.system) is False:
                # Nothing there: nothing to export, erase or restrict in this system.
                ConnectorJob.objects.filter(pk=job.pk).update(
                    status=JobStatus.SKIPPED,
                    skipped_reason="No data about the subject in this system.",
                    finished_at=timezone.now(),
                )
                to_send.append(None)
                continue
            if ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
                status=JobStatus.QUEUED, dispatched_at=timezone.now()
            ):
                to_send.append(job.pk)
    if None in to_send:
        advance(request_id)  # skipped jobs may complete the step
    for job_id in filter(None, to_send):
        _dispatch(job_id)


def _dispatch(job_id: int, countdown: float | None = None) -> None:
    from connectors.tasks import run_job

    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    transaction.on_commit(lambda: run_job.apply_async((job_id,), **options))


def _finish(request: SubjectRequest) -> None:
    """Exactly once (the caller holds the request's row lock): the next stage begins."""
    from dsr.services.requests import record

    if request.events.filter(kind=EventKind.PROCESSING_FINISHED).exists():
        return
    if not request.is_open:
        return
    record(request, EventKind.PROCESSING_FINISHED)
    _plan_recipient_notices(request)
    rights = set(request.requested_rights.values_list("right", flat=True))
    if rights & {Right.ACCESS, Right.PORTABILITY}:
        from dsr.exports.tasks import build_answer_package

        request_id = request.pk
        transaction.on_commit(lambda: build_answer_package.delay(request_id))
    logger.info("fan-out of request %s finished", request.reference)


NOTIFY_AFTER = frozenset({Capability.RECTIFY, Capability.ERASE, Capability.RESTRICT})


def _plan_recipient_notices(request: SubjectRequest) -> None:
    """Art. 19: every recipient of a system that was changed is to be told (or the reason why
    not recorded)."""
    systems = registry.systems()
    changed = {
        job.system
        for job in request.jobs.filter(action__in=NOTIFY_AFTER, status=JobStatus.SUCCEEDED)
        if job.result.get("changed", 0)
        or job.result.get("erased", 0)
        or job.result.get("anonymised", 0)
        or job.result.get("retained")
    }
    from dsr.services.register import recipients_for_system

    for system in sorted(changed):
        for recipient in recipients_for_system(system) if system in systems else ():
            RecipientNotice.objects.get_or_create(
                request=request, system=system, recipient=recipient
            )


@transaction.atomic
def decide_notice(
    notice: RecipientNotice, *, officer: Any, notified: bool, reason: str = ""
) -> None:
    if not notified and not reason.strip():
        raise JobError(_("Not notifying a recipient needs a recorded reason."))
    notice.status = NoticeStatus.NOTIFIED if notified else NoticeStatus.NOT_NOTIFIED
    notice.reason = reason.strip()
    notice.decided_at = timezone.now()
    notice.decided_by = officer
    notice.save(update_fields=["status", "reason", "decided_at", "decided_by"])


# --- running one job ---------------------------------------------------------------------------


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
            _dispatch(job_id, countdown=wait)
            return "held elsewhere, checking again"
        return "not claimed"
    job = ConnectorJob.objects.select_related("request").get(pk=job_id)
    if not job.request.is_open and job.action != Capability.LIFT_RESTRICTION:
        _settle(job, status=JobStatus.SKIPPED, skipped_reason="The request was closed.")
        return "request closed"
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
    subject = identity_for(job.request)
    action = Capability(job.action)
    if action == Capability.LOCATE:
        located = backend.locate(subject)
        return (
            JobStatus.SUCCEEDED,
            {"found": located.found, "records": located.records},
            {k: list(v) for k, v in located.identifiers.items()},
        )
    if action == Capability.EXPORT:
        return JobStatus.SUCCEEDED, _export(job, backend.export(subject)), {}
    if action == Capability.ERASE:
        erased = backend.erase(subject, today=_today(), consent_only=_consent_only(job))
        return JobStatus.SUCCEEDED, _erasure_result(job, subject, erased), {}
    if action == Capability.RECTIFY:
        changes = _rectification_changes(job)
        if changes is None:
            return JobStatus.HELD, {"note": "An officer must state the corrected values."}, {}
        return JobStatus.SUCCEEDED, _change(backend.rectify(subject, changes)), {}
    if action == Capability.RESTRICT:
        return JobStatus.SUCCEEDED, _change(backend.restrict(subject)), {}
    if action == Capability.LIFT_RESTRICTION:
        return JobStatus.SUCCEEDED, _change(backend.lift_restriction(subject)), {}
    return JobStatus.SUCCEEDED, _change(backend.object(subject, _objection_kind(job))), {}


def _today() -> Any:
    from dsr.services.clock import today

    return today()


def _change(result: ChangeResult) -> dict[str, Any]:
    return {"changed": result.changed, "note": result.note}


def _rectification_changes(job: ConnectorJob) -> dict[str, Any] | None:
    right = RequestedRight.objects.filter(request=job.request, right=Right.RECTIFICATION).first()
    changes = (right.details.get("changes") if right else None) or None
    return dict(changes) if changes else None


def _consent_only(job: ConnectorJob) -> bool:
    """A consent withdrawal erases only consent-based data; an erasure request erases all."""
    rights = set(job.request.requested_rights.values_list("right", flat=True))
    return Right.CONSENT_WITHDRAWAL in rights and Right.ERASURE not in rights


def _objection_kind(job: ConnectorJob) -> ObjectionKind:
    for right in job.request.requested_rights.all():
        if plan_key(right.right, right.details) == "objection:particular_situation":
            return ObjectionKind.PROCESSING
    return ObjectionKind.DIRECT_MARKETING


def _export(job: ConnectorJob, pages: Any) -> dict[str, Any]:
    """Write each page encrypted to storage as it arrives: memory holds one page at a time."""
    attempt = ConnectorJob.objects.values_list("runs", flat=True).get(pk=job.pk)
    for part in job.parts.exclude(attempt=attempt):  # leftovers of an earlier, crashed run
        default_storage.delete(part.storage_name)
        part.delete()
    categories: dict[str, int] = {}
    expired: dict[str, int] = {}
    sequence = 0
    for page in pages:
        if page.expires_after_hours:
            expired[page.category] = page.expires_after_hours
        if not page.records:
            continue
        lines = "\n".join(json.dumps(r, default=str, ensure_ascii=False) for r in page.records)
        store_part(
            job,
            category=page.category,
            payload=lines.encode(),
            records=len(page.records),
            provided_fields=page.provided_fields,
            attempt=attempt,
            sequence=sequence,
        )
        sequence += 1
        categories[page.category] = categories.get(page.category, 0) + len(page.records)
    result: dict[str, Any] = {
        "records": sum(categories.values()),
        "categories": categories,
        "parts": sequence,
    }
    if expired:  # categories the system deletes after so many hours: said in the answer
        result["expired"] = expired
    return result


def store_part(
    job: ConnectorJob,
    *,
    category: str,
    payload: bytes,
    records: int,
    media_type: str = "application/jsonl",
    provided_fields: tuple[str, ...] | None = None,
    attempt: int | None = None,
    sequence: int | None = None,
) -> ExportPart:
    """Encrypt one page of exported data into storage and note it on the job."""
    if attempt is None:
        attempt = job.runs
    if sequence is None:
        sequence = job.parts.count()
    name = default_storage.save(
        f"exports/{job.request_id}/{job.pk}/{uuid.uuid4().hex}.enc",
        ContentFile(encrypt_bytes(payload)),
    )
    return ExportPart.objects.create(
        job=job,
        attempt=attempt,
        sequence=sequence,
        category=category,
        storage_name=name,
        records=records,
        provided_fields=list(provided_fields) if provided_fields else None,
        media_type=media_type,
    )


def _erasure_result(
    job: ConnectorJob, subject: SubjectIdentity, erased: ErasureResult
) -> dict[str, Any]:
    for item in erased.retained:
        if item.erase_after is not None:
            ScheduledErasure.objects.get_or_create(
                request=job.request,
                system=job.system,
                what=item.what[:300],
                erase_after=item.erase_after,
                defaults={
                    "legal_basis": item.legal_basis[:300],
                    "location": item.location,
                    "keys": list(item.keys),
                },
            )
    return {
        "erased": erased.erased,
        "anonymised": erased.anonymised,
        "retained": [
            {
                "what": item.what,
                "legal_basis": item.legal_basis,
                "statute": item.statute,
                "erase_after": item.erase_after.isoformat() if item.erase_after else None,
                "records": item.records,
            }
            for item in erased.retained
        ],
    }


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
    if not updated:
        return "lost the claim"  # another worker took over; its outcome stands
    if status == JobStatus.WAITING:
        from connectors.manual import hand_over

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
            _dispatch(job.pk, countdown=delay)
    return "retrying"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential with full jitter; a vendor's Retry-After is a floor, never shortened."""
    base = float(settings.DSR_JOB_BACKOFF_SECONDS) * (2 ** max(0, attempts - 1))
    ceiling = float(settings.DSR_JOB_BACKOFF_MAX_SECONDS)
    delay: float = min(ceiling, base) * random.uniform(0.5, 1.0)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return round(delay, 3)


def _failed(job: ConnectorJob, message: str) -> str:
    with transaction.atomic():
        _settle(job, status=JobStatus.FAILED, last_error=message[:500])
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
            _dispatch(job.pk, countdown=delay)


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


def wake(job: ConnectorJob) -> None:
    """A system said it is done: run the waiting job now instead of at its next poll."""
    with transaction.atomic():
        if ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            next_attempt_at=timezone.now(), dispatched_at=timezone.now()
        ):
            _dispatch(job.pk)


# --- officers -----------------------------------------------------------------------------------


@transaction.atomic
def retry_job(job: ConnectorJob, *, officer: Any) -> None:
    from dsr.services.requests import record

    if job.status not in (JobStatus.FAILED, JobStatus.WAITING, JobStatus.HELD):
        raise JobError(_("Only a failed or waiting job can be retried."))
    if not ConnectorJob.objects.filter(pk=job.pk, status=job.status).update(
        status=JobStatus.QUEUED,
        attempts=0,
        next_attempt_at=None,
        dispatched_at=timezone.now(),
        finished_at=None,
        stuck=False,
    ):
        raise JobError(_("The job changed meanwhile; please look again."))
    # What it was before: the statistics count a restart after a failure as a failure.
    record(
        job.request,
        EventKind.JOB_RETRIED,
        actor=officer,
        data={"job": job.pk, "status": job.status},
    )
    _dispatch(job.pk)


def retry_failed(request: SubjectRequest, *, officer: Any) -> int:
    jobs = list(request.jobs.filter(status=JobStatus.FAILED))
    for job in jobs:
        retry_job(job, officer=officer)
    return len(jobs)


@transaction.atomic
def skip_job(job: ConnectorJob, *, officer: Any, reason: str) -> None:
    from dsr.services.requests import record

    if not reason.strip():
        raise JobError(_("Skipping a system needs a recorded reason."))
    if job.status in DONE or job.status == JobStatus.RUNNING:
        raise JobError(_("Only a job that is not running or done can be skipped."))
    if not ConnectorJob.objects.filter(pk=job.pk, status=job.status).update(
        status=JobStatus.SKIPPED, skipped_reason=reason.strip(), finished_at=timezone.now()
    ):
        raise JobError(_("The job changed meanwhile; please look again."))
    record(
        job.request,
        EventKind.JOB_SKIPPED,
        actor=officer,
        reason=reason.strip(),
        data={"job": job.pk},
    )
    transaction.on_commit(lambda: advance(job.request_id))


# --- the sweep ----------------------------------------------------------------------------------


def sweep(*, now: Any = None) -> dict[str, int]:
    """Re-dispatch what a lost message or a dead worker left behind; flag what is stuck."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.DSR_JOB_DISPATCH_GRACE_SECONDS)
    counts = {"redispatched": 0, "reclaimed": 0, "stuck": 0, "advanced": 0, "started": 0}
    lost = ConnectorJob.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=grace),
        status=JobStatus.QUEUED,
        dispatched_at__lt=grace,
    )
    for job_id in lost.values_list("pk", flat=True):
        with transaction.atomic():
            if ConnectorJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
                dispatched_at=now
            ):
                _dispatch(job_id)
                counts["redispatched"] += 1
    dead = ConnectorJob.objects.filter(status=JobStatus.RUNNING, lease_until__lt=now)
    for job_id in dead.values_list("pk", flat=True):
        with transaction.atomic():
            if ConnectorJob.objects.filter(
                pk=job_id, status=JobStatus.RUNNING, lease_until__lt=now
            ).update(status=JobStatus.QUEUED, dispatched_at=now, next_attempt_at=None):
                _dispatch(job_id)
                counts["reclaimed"] += 1
    stuck_before = now - timedelta(seconds=settings.DSR_JOB_STUCK_SECONDS)
    counts["stuck"] = ConnectorJob.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PENDING],
        created_at__lt=stuck_before,
        stuck=False,
    ).update(stuck=True)
    # A fan-out whose step finished while the advance after it was lost.
    stalled = (
        SubjectRequest.objects.filter(status=Status.IN_PROGRESS, jobs__status=JobStatus.PENDING)
        .exclude(jobs__status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .distinct()
    )
    finished = SubjectRequest.objects.filter(status=Status.IN_PROGRESS).exclude(
        jobs__status__in=[
            JobStatus.PENDING,
            JobStatus.QUEUED,
            JobStatus.RUNNING,
            JobStatus.FAILED,
            JobStatus.WAITING,
            JobStatus.HELD,
        ]
    )
    for request_id in {
        *stalled.values_list("pk", flat=True),
        *finished.values_list("pk", flat=True),
    }:
        advance(request_id)
        counts["advanced"] += 1
    # Verified requests whose start was lost (it runs on commit, after the verification).
    for item in SubjectRequest.objects.filter(
        status=Status.VERIFIED, jobs__isnull=True, verified_at__lt=grace
    ):
        try:
            counts["started"] += bool(start_if_ready(item))
        except Exception:  # e.g. a system's secret is missing: the request stays visible
            logger.exception("could not start request %s", item.reference)
    return counts


def run_scheduled_erasures(*, now: Any = None) -> int:
    """Erase records whose retention ended (they stayed restricted until then)."""
    today = _today()
    done = 0
    for item in ScheduledErasure.objects.filter(done_at__isnull=True, erase_after__lt=today):
        # Exactly the records kept then: never a new search for the person, who may have
        # become a customer again since.
        try:
            erased = registry.connector(item.system).erase_kept(
                item.location, tuple(item.keys), today=today
            )
        except ConnectorError as exc:
            item.last_error = f"{type(exc).__name__}: {str(exc)[:400]}"
            item.save(update_fields=["last_error"])
            continue
        item.done_at = timezone.now()
        item.erased = erased
        item.keys = []
        item.save(update_fields=["done_at", "erased", "keys"])
        done += 1
    return done


# --- decisions that start or undo processing ------------------------------------------------------


@transaction.atomic
def approve(
    request: SubjectRequest, *, officer: Any, reason: str = "", proposal: Proposal | None = None
) -> None:
    """An officer approves processing that needs it (erasure). Where erasure is under four
    eyes (DSR_FOUR_EYES) this runs only as the approval of a proposal that this officer, not
    the proposer, approved: ``dsr.services.decisions`` is the way in."""
    from dsr.services import decisions
    from dsr.services.requests import RequestError, record

    if not request.is_open:
        raise JobError(_("This request is already closed."))
    if request.events.filter(kind=EventKind.APPROVED).exists():
        raise JobError(_("This request is already approved."))
    try:
        decisions.authorise(request, ProposalKind.ERASURE, officer=officer, proposal=proposal)
    except RequestError as exc:
        raise JobError(str(exc)) from exc
    data = (
        {}
        if proposal is None
        else {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    )
    record(request, EventKind.APPROVED, actor=officer, reason=reason.strip(), data=data)
    transaction.on_commit(lambda: start_if_ready(SubjectRequest.objects.get(pk=request.pk)))


@transaction.atomic
def notify_restriction_lift(request: SubjectRequest, *, officer: Any) -> None:
    """Art. 18(3): the requester is told before a restriction is lifted."""
    from dsr.services.requests import _send, record

    record(request, EventKind.RESTRICTION_LIFT_NOTIFIED, actor=officer)
    _send(request, "restriction_lift")


@transaction.atomic
def lift_after_rejected_objection(request: SubjectRequest, *, officer: Any) -> int:
    """Art. 21(1): the objection is rejected, so the restriction that held the data while it
    was assessed (Art. 18(1)(d)) ends. The refusal letter tells the requester first (Art.
    18(3)); the lifting runs although the refusal closed the request."""
    from dsr.services.requests import record

    created = _lift_jobs(request, held=True)  # until the refusal letter has gone out
    if created:
        record(
            request,
            EventKind.RESTRICTION_LIFTED,
            actor=officer,
            data={"systems": created, "after": "objection_rejected"},
        )
    return created


LIFT_WAITS_FOR_LETTER = "Waits until the requester has been told (Art. 18(3))."


def release_held_lifts(request: SubjectRequest) -> int:
    """The letter that announces the lifting went out: the held lift jobs may run."""
    released = request.jobs.filter(
        action=Capability.LIFT_RESTRICTION,
        status=JobStatus.HELD,
        result__note=LIFT_WAITS_FOR_LETTER,
    ).update(status=JobStatus.PENDING, result={})
    if released:
        transaction.on_commit(lambda: advance(request.pk))
    return released


def _lift_jobs(request: SubjectRequest, *, held: bool = False) -> int:
    restricted = request.jobs.filter(action=Capability.RESTRICT, status=JobStatus.SUCCEEDED)
    step = max([*request.jobs.values_list("step", flat=True), 0]) + 1
    created = 0
    for job in restricted:
        ConnectorJob.objects.create(
            request=request,
            system=job.system,
            action=Capability.LIFT_RESTRICTION,
            step=step,
            status=JobStatus.HELD if held else JobStatus.PENDING,
            result={"note": LIFT_WAITS_FOR_LETTER} if held else {},
        )
        created += 1
    return created


@transaction.atomic
def lift_restriction(request: SubjectRequest, *, officer: Any) -> int:
    from dsr.services.requests import record

    if not request.events.filter(kind=EventKind.RESTRICTION_LIFT_NOTIFIED).exists():
        raise JobError(_("The requester must be told before the restriction is lifted."))
    if request.jobs.filter(action=Capability.LIFT_RESTRICTION).exists():
        raise JobError(_("The restriction is already being lifted."))
    created = _lift_jobs(request)
    record(request, EventKind.RESTRICTION_LIFTED, actor=officer, data={"systems": created})
    transaction.on_commit(lambda: advance(request.pk))
    return created


def parse_changes(text: str) -> dict[str, str]:
    """``field = value`` per line (``table.field`` to name the table) into a change set."""
    changes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        field, sep, value = line.partition("=")
        if not sep or not field.strip():
            raise JobError(
                _("Line %(number)d is not of the form field = value.") % {"number": number}
            )
        changes[field.strip()] = value.strip()
    if not changes:
        raise JobError(_("Please state at least one field and its corrected value."))
    return changes


@transaction.atomic
def set_rectification(request: SubjectRequest, *, officer: Any, changes: dict[str, str]) -> int:
    """The officer turns the requester's words into field changes; waiting jobs run again."""
    right = (
        RequestedRight.objects.select_for_update()
        .filter(request=request, right=Right.RECTIFICATION)
        .first()
    )
    if right is None:
        raise JobError(_("This request does not ask for a rectification."))
    right.details = {**right.details, "changes": changes}
    right.save(update_fields=["details"])
    waiting = list(request.jobs.filter(action=Capability.RECTIFY, status=JobStatus.HELD))
    for job in waiting:
        retry_job(job, officer=officer)
    return len(waiting)
