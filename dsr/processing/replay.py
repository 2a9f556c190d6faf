"""After a source system is restored from a backup, erase again what was erased since.

A restored CRM brings back everyone erased after the backup was taken. The portal knows each
erasure it carried out (its jobs and events, in its own database, which is backed up apart):
``replay`` runs those erasures again against the restored systems, with the same identifiers,
the same consent-only scope and the same retention rules, and records each replay as an event.
Run it (``manage.py dsr_replay_erasures --since <backup date>``) before the system is used.

Unlike the scheduled erasure of kept records, a replay does not wait for another open request
of the same person: it removes only what had already been erased when the backup was restored,
data that was not held when such a request was received and that must not come back into use.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from connectors import registry
from connectors.base import Capability
from dsr.core.clock import today
from dsr.core.events import record
from dsr.models import ConnectorJob, EventKind, JobStatus
from dsr.processing.identity import identity_for
from dsr.processing.worker import consent_only


@dataclass(frozen=True)
class Replayed:
    reference: str
    system: str
    erased: int
    anonymised: int


def erasures_since(since: date, systems: list[str] | None = None) -> list[ConnectorJob]:
    """The erasure jobs that finished on or after ``since`` (oldest first)."""
    jobs = ConnectorJob.objects.filter(
        action=Capability.ERASE, status=JobStatus.SUCCEEDED, finished_at__date__gte=since
    )
    if systems:
        jobs = jobs.filter(system__in=systems)
    return list(jobs.select_related("request").order_by("finished_at", "pk"))


def replay(
    since: date, *, systems: list[str] | None = None, dry_run: bool = False
) -> list[Replayed]:
    done = []
    for job in erasures_since(since, systems):
        if dry_run:
            done.append(Replayed(job.request.reference, job.system, 0, 0))
            continue
        result = registry.connector(job.system).erase(
            identity_for(job.request), today=today(), consent_only=consent_only(job)
        )
        with transaction.atomic():
            record(
                job.request,
                EventKind.ERASURE_REPLAYED,
                data={
                    "system": job.system,
                    "since": since.isoformat(),
                    "erased": result.erased,
                    "anonymised": result.anonymised,
                },
            )
        done.append(Replayed(job.request.reference, job.system, result.erased, result.anonymised))
    return done
