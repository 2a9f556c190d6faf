"""The periodic sweep: re-dispatch what a lost message or a dead worker left behind."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors import registry
from connectors.base import (
    ConnectorError,
)
from dsr.core import clock
from dsr.core.events import record
from dsr.core.subjects import open_request_of_same_person
from dsr.models import (
    ConnectorJob,
    EventKind,
    JobStatus,
    ScheduledErasure,
    Status,
    SubjectRequest,
)
from dsr.processing.dispatch import advance, dispatch
from dsr.processing.start import start_if_ready

logger = logging.getLogger(__name__)


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
                dispatch(job_id)
                counts["redispatched"] += 1
    dead = ConnectorJob.objects.filter(status=JobStatus.RUNNING, lease_until__lt=now)
    for job_id in dead.values_list("pk", flat=True):
        with transaction.atomic():
            if ConnectorJob.objects.filter(
                pk=job_id, status=JobStatus.RUNNING, lease_until__lt=now
            ).update(status=JobStatus.QUEUED, dispatched_at=now, next_attempt_at=None):
                dispatch(job_id)
                counts["reclaimed"] += 1
    stuck_before = now - timedelta(seconds=settings.DSR_JOB_STUCK_SECONDS)
    counts["stuck"] = (
        ConnectorJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PENDING],
            created_at__lt=stuck_before,
            stuck=False,
        )
        # A pending erasure waits on purpose: for the officer's approval, or for an answer of
        # the same person to be sent first (a lost advance is picked up below all the same).
        .exclude(status=JobStatus.PENDING, action="erase")
        .update(stuck=True)
    )
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
    """Erase records whose retention ended (they stayed restricted until then).

    Not while the same person has another open request: that request is answered on what was
    held when it was received (Art. 15, 17), so the portal's own schedule waits for it to
    close, and says so on the case once per request it waits for.
    """
    today = clock.today()
    done = 0
    due = ScheduledErasure.objects.filter(done_at__isnull=True, erase_after__lt=today)
    for item in due.select_related("request"):
        waiting = open_request_of_same_person(item.request)
        if waiting is not None:
            if item.waiting_for != waiting.reference:
                with transaction.atomic():
                    item.waiting_for = waiting.reference
                    item.save(update_fields=["waiting_for"])
                    record(
                        item.request,
                        EventKind.ERASURE_POSTPONED,
                        data={
                            "system": item.system,
                            "what": item.what,
                            "erase_after": item.erase_after.isoformat(),
                            "waiting_for": waiting.reference,
                        },
                    )
            continue
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
        item.waiting_for = ""
        item.save(update_fields=["done_at", "erased", "keys", "waiting_for"])
        done += 1
    return done
