"""Moving the fan-out on: dispatch the jobs whose step it is, finish when all are done."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from connectors import registry
from connectors.base import (
    Capability,
)
from dsr.core import taskqueue
from dsr.core.events import record
from dsr.core.register import public_activities_for_system, recipients_for_system
from dsr.core.subjects import same_person
from dsr.exports.tasks import owe_package
from dsr.models import (
    CLOSED_STATUSES,
    DONE,
    ConnectorJob,
    EventKind,
    JobStatus,
    PublicationNotice,
    RecipientNotice,
    SubjectRequest,
)
from dsr.processing.plans import NEEDS_APPROVAL
from dsr.rights import Right

logger = logging.getLogger(__name__)

RUN_JOB = "dsr.processing.tasks.run_job"


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
        unfinished = [job for job in jobs if job.status not in DONE]
        if not unfinished:
            _finish(request)
            return
        erasing = any(job.action == Capability.ERASE for job in unfinished)
        waiting = (
            erasing and request.is_open and (needs_approval(request) or answers_first(request))
        )
        # A change a system could not make waits for a person (its owner's task, an officer's
        # decision); it reveals nothing later systems need, so they go on meanwhile. Before an
        # erasure is approved only its locate phase runs: every system is searched (and says
        # what the erasure would do there), and nothing is erased. Nor while an access or
        # portability answer of the same person is still to be sent.
        open_steps = [
            job.step
            for job in unfinished
            if not job.result.get("could_not") and not (waiting and job.action == Capability.ERASE)
        ]
        if not open_steps:
            return
        step = min(open_steps)
        located = {
            job.system: bool(job.result.get("found"))
            for job in jobs
            if job.action == Capability.LOCATE and job.status == JobStatus.SUCCEEDED
        }
        to_send: list[int | None] = []
        for job in jobs:
            if job.step != step or job.status not in (JobStatus.PENDING, JobStatus.HELD):
                continue
            if waiting and job.action == Capability.ERASE:
                continue
            if job.action != Capability.OBJECT and located.get(job.system) is False:
                # Nothing there: nothing to export, erase or restrict in this system, and
                # nothing for an officer to decide about a held job either.
                ConnectorJob.objects.filter(pk=job.pk, status=job.status).update(
                    status=JobStatus.SKIPPED,
                    skipped_reason="No data about the subject in this system.",
                    finished_at=timezone.now(),
                )
                to_send.append(None)
                continue
            if job.status != JobStatus.PENDING:
                continue
            if ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
                status=JobStatus.QUEUED, dispatched_at=timezone.now()
            ):
                to_send.append(job.pk)
    if None in to_send:
        advance(request_id)  # skipped jobs may complete the step
    for job_id in filter(None, to_send):
        dispatch(job_id)


def needs_approval(request: SubjectRequest) -> bool:
    """An erasure not approved yet: its systems are searched, nothing is erased."""
    rights = set(request.requested_rights.values_list("right", flat=True))
    approved = request.events.filter(kind=EventKind.APPROVED).exists()
    return bool(rights & NEEDS_APPROVAL) and not approved


# An access or portability answer is built from what the systems hold when it was asked for:
# an erasure first would empty it, and one built before and sent after would show what is gone.
ANSWERS_FIRST = frozenset({Right.ACCESS, Right.PORTABILITY})


def answers_first(request: SubjectRequest) -> list[SubjectRequest]:
    """The same person's open access or portability requests whose answers an erasure waits
    for, unless an officer recorded that it goes ahead (ERASURE_GOES_AHEAD)."""
    decided = {
        pk
        for data in request.events.filter(kind=EventKind.ERASURE_GOES_AHEAD).values_list(
            "data", flat=True
        )
        for pk in data.get("over", [])
    }
    others = (
        SubjectRequest.objects.filter(
            same_person(request), requested_rights__right__in=ANSWERS_FIRST
        )
        .exclude(pk=request.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .exclude(duplicate_of=request.pk)
        .distinct()
        .order_by("received_at", "pk")
    )
    return [other for other in others if other.pk not in decided]


def release_waiting_erasures(request: SubjectRequest) -> None:
    """This request closed (its answer sent, or it ended): erasures of the same person that
    waited for it go on."""
    waiting = (
        SubjectRequest.objects.filter(
            same_person(request), jobs__action=Capability.ERASE, jobs__status=JobStatus.PENDING
        )
        .exclude(pk=request.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .distinct()
        .values_list("pk", flat=True)
    )
    for pk in waiting:
        transaction.on_commit(partial(advance, pk))


def dispatch(job_id: int, countdown: float | None = None) -> None:
    """Queue the job for a worker once the caller's transaction commits."""
    taskqueue.send_on_commit(RUN_JOB, job_id, countdown=countdown)


def _finish(request: SubjectRequest) -> None:
    """Exactly once (the caller holds the request's row lock): the next stage begins."""
    if request.events.filter(kind=EventKind.PROCESSING_FINISHED).exists():
        return
    if not request.is_open:
        return
    record(request, EventKind.PROCESSING_FINISHED)
    _plan_recipient_notices(request)
    _plan_publication_notices(request)
    rights = set(request.requested_rights.values_list("right", flat=True))
    if rights & {Right.ACCESS, Right.PORTABILITY}:
        owe_package(request.pk)
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
        or job.result.get("statement_kept")
        or job.result.get("erased", 0)
        or job.result.get("anonymised", 0)
        or job.result.get("retained")
    }

    for system in sorted(changed):
        for recipient in recipients_for_system(system) if system in systems else ():
            RecipientNotice.objects.get_or_create(
                request=request, system=system, recipient=recipient
            )


def _plan_publication_notices(request: SubjectRequest) -> None:
    """Art. 17(2): where the erasure reached a system whose activity made the data public,
    each controller known to process the published data is to be informed (or the reason why
    not recorded)."""
    systems = registry.systems()
    erased = {
        job.system
        for job in request.jobs.filter(action=Capability.ERASE, status=JobStatus.SUCCEEDED)
        if job.result.get("erased", 0) or job.result.get("anonymised", 0)
    }
    for system in sorted(erased & set(systems)):
        for activity in public_activities_for_system(system):
            for controller in activity.public_controllers.all():
                PublicationNotice.objects.get_or_create(
                    request=request,
                    activity=activity.key,
                    controller=controller.name,
                    defaults={"contact": controller.contact, "where": activity.published_where},
                )


def wake(job: ConnectorJob) -> None:
    """A system said it is done: run the waiting job now instead of at its next poll."""
    with transaction.atomic():
        if ConnectorJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            next_attempt_at=timezone.now(), dispatched_at=timezone.now()
        ):
            dispatch(job.pk)
