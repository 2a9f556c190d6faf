"""An officer's actions on a connector job: retry it, skip it with a reason, or record that a
change the system could not make was done another way."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import (
    DONE,
    ConnectorJob,
    EventKind,
    JobStatus,
    SubjectRequest,
)
from dsr.processing.dispatch import advance, dispatch


@transaction.atomic
def retry_job(job: ConnectorJob, *, officer: Any) -> None:
    if job.status not in (JobStatus.FAILED, JobStatus.WAITING, JobStatus.HELD):
        raise RequestError(_("Only a failed or waiting job can be retried."))
    if not ConnectorJob.objects.filter(pk=job.pk, status=job.status).update(
        status=JobStatus.QUEUED,
        attempts=0,
        next_attempt_at=None,
        dispatched_at=timezone.now(),
        finished_at=None,
        stuck=False,
    ):
        raise RequestError(_("The job changed meanwhile; please look again."))
    # What it was before: the statistics count a restart after a failure as a failure.
    record(
        job.request,
        EventKind.JOB_RETRIED,
        actor=officer,
        data={"job": job.pk, "status": job.status},
    )
    dispatch(job.pk)


def retry_failed(request: SubjectRequest, *, officer: Any) -> int:
    jobs = list(request.jobs.filter(status=JobStatus.FAILED))
    for job in jobs:
        retry_job(job, officer=officer)
    return len(jobs)


@transaction.atomic
def skip_job(job: ConnectorJob, *, officer: Any, reason: str) -> None:
    if not reason.strip():
        raise RequestError(_("Skipping a system needs a recorded reason."))
    if job.status in DONE or job.status == JobStatus.RUNNING:
        raise RequestError(_("Only a job that is not running or done can be skipped."))
    if not ConnectorJob.objects.filter(pk=job.pk, status=job.status).update(
        status=JobStatus.SKIPPED, skipped_reason=reason.strip(), finished_at=timezone.now()
    ):
        raise RequestError(_("The job changed meanwhile; please look again."))
    record(
        job.request,
        EventKind.JOB_SKIPPED,
        actor=officer,
        reason=reason.strip(),
        data={"job": job.pk},
    )
    transaction.on_commit(lambda: advance(job.request_id))


@transaction.atomic
def done_another_way(job: ConnectorJob, *, officer: Any, note: str) -> None:
    """An officer's decision on a change the system could not make: it was done by other
    means (the vendor restricted the data on request, say). Recorded with what was done; the
    letter then reports the change as made, by hand."""
    if not note.strip():
        raise RequestError(_("Say how it was done."))
    if job.status != JobStatus.HELD or not (job.result or {}).get("could_not"):
        raise RequestError(_("Only a change the system could not make can be done another way."))
    result = {
        **{k: v for k, v in job.result.items() if k not in ("could_not", "note")},
        "by_hand": job.result["could_not"],
        "note": note.strip()[:500],
    }
    if not ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.HELD).update(
        status=JobStatus.SUCCEEDED, result=result, finished_at=timezone.now()
    ):
        raise RequestError(_("The job changed meanwhile; please look again."))
    record(
        job.request,
        EventKind.JOB_DONE_BY_HAND,
        actor=officer,
        reason=note.strip(),
        data={"job": job.pk},
    )
    transaction.on_commit(lambda: advance(job.request_id))
