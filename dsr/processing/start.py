"""Starting the fan-out: the jobs a verified (and, where needed, approved) request gets."""

from typing import Any

from django.db import transaction

from connectors import registry
from connectors.base import (
    Capability,
)
from dsr.core.events import record
from dsr.models import (
    CLOSED_STATUSES,
    ConnectorJob,
    EventKind,
    JobStatus,
    OpenDSRRequest,
    OtherController,
    Status,
    SubjectRequest,
)
from dsr.processing.changes import CHANGES
from dsr.processing.dispatch import advance
from dsr.processing.plans import all_without_jobs, plan
from dsr.rights import Right


def start_if_ready(request: SubjectRequest) -> bool:
    """Called when a request is verified (and again when it is approved). An erasure starts
    too: its locate phase runs before the approval, the erasure itself only after it
    (``dsr.processing.dispatch``)."""
    if request.status != Status.VERIFIED:
        return False
    if request.duplicate_of is not None and request.duplicate_of.is_open:
        return False  # the earlier request does the work
    return start_processing(request) > 0


@transaction.atomic
def start_processing(request: SubjectRequest, *, actor: Any = None) -> int:
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    systems = registry.systems()
    if request.jobs.exists() or not request.is_open:
        return 0
    if request.events.filter(kind=EventKind.PROCESSING_STARTED).exists():
        return 0  # started before, with no job to run (an Art. 22 review)
    # Another controller's OpenDSR endpoint (for forwarding to it) holds none of our data.
    endpoints = set(
        OtherController.objects.exclude(opendsr_system="").values_list("opendsr_system", flat=True)
    )
    systems = {a: c for a, c in systems.items() if a not in endpoints}
    inbound = OpenDSRRequest.objects.filter(request=request).select_related("controller").first()
    if inbound is not None:
        # We are that controller's processor: only the systems holding its data are asked
        # (never, say, the system through which it sent us the request).
        systems = {a: c for a, c in systems.items() if a in inbound.controller.systems}
    rights = {r.right: r.details for r in request.requested_rights.all()}
    if not systems and not all_without_jobs(rights):
        return 0  # with no system configured the officer works the request by hand
    planned = plan(rights, {alias: config.stage for alias, config in systems.items()})
    held = _held_actions(rights)
    # Systems whose data another controller administers, to which that part was forwarded.
    forwarded = {
        alias: f.skip_reason
        for f in request.forwardings.select_related("party")
        for alias in f.systems
    }
    for item in planned:
        job = ConnectorJob(request=request, system=item.system, action=item.action, step=item.step)
        if item.system in forwarded:
            job.status = JobStatus.SKIPPED
            job.skipped_reason = forwarded[item.system]
        elif item.action not in registry.capabilities(item.system) and item.action not in CHANGES:
            # A system that cannot rectify, restrict or object still runs its job: a person
            # takes over there (dsr.processing.changes); it is never simply left out.
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


def after_approval(request: SubjectRequest) -> None:
    """An approved erasure goes on from its finished locate phase; one whose systems were
    never asked (none were configured then) starts now."""
    if request.jobs.exists():
        advance(request.pk)
    else:
        start_if_ready(request)


def release_duplicates(request: SubjectRequest) -> None:
    """Requests that waited on this one's work: one filed close after it for the same thing
    was answered with it (it gets no answer of its own; the person was told when it was
    linked); the others, and all of them if this one ended unanswered, do their own now."""
    for duplicate in request.duplicates.exclude(status__in=CLOSED_STATUSES):
        if request.status == Status.COMPLETED and answered_together(duplicate):
            record(duplicate, EventKind.ANSWERED_TOGETHER, data={"reference": request.reference})
        elif duplicate.status == Status.VERIFIED:
            start_when_committed(duplicate)


def answered_together(request: SubjectRequest) -> bool:
    """Linked when filed as the same request asked again, shortly after the first."""
    linked = request.events.filter(kind=EventKind.LINKED).order_by("-at").first()
    return linked is not None and bool(linked.data.get("together"))


def start_when_committed(request: SubjectRequest) -> None:
    transaction.on_commit(lambda: start_if_ready(SubjectRequest.objects.get(pk=request.pk)))
