"""Lifting a restriction: the jobs that undo it, held until the requester was told."""

from django.db import transaction

from connectors.base import (
    Capability,
)
from dsr.models import (
    ConnectorJob,
    JobStatus,
    SubjectRequest,
)
from dsr.processing.dispatch import advance

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


def create_lift_jobs(request: SubjectRequest, *, held: bool = False) -> int:
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
