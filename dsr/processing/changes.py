"""What a rectification, restriction or objection did in one system, and who takes over where
the system could not do it.

A system that lacks the capability, reports records it cannot change (``uncovered``), changed
nothing although it holds the person's data, or could not keep a supplementary statement has
not done what was asked: its job goes to the system's owner as a manual task, or, where the
system has no owner, waits for an officer's decision on the case page. It is never recorded
as done. One exception: an objection to direct marketing in a system whose register
activities have no direct-marketing purpose is answered "not used for direct marketing here".
"""

from typing import Any

from connectors import registry
from connectors.base import Capability, ChangeResult
from dsr.core.register import used_for_direct_marketing
from dsr.models import ConnectorJob, JobStatus

# Why a system fell short; the letter and the case page say each in words.
UNSUPPORTED = "unsupported"  # the system cannot do this at all
UNCOVERED = "uncovered"  # some of the person's records cannot be changed this way
NOTHING_CHANGED = "nothing_changed"  # 0 changes although the person has data here
STATEMENT_NOT_KEPT = "statement_not_kept"  # the system has no place for the statement

CHANGES = frozenset({Capability.RECTIFY, Capability.RESTRICT, Capability.OBJECT})

NOTES = {
    UNSUPPORTED: "This system cannot do this by itself.",
    UNCOVERED: "This system holds records of the person that it cannot change this way.",
    NOTHING_CHANGED: "This system changed nothing although it holds the person's data.",
    STATEMENT_NOT_KEPT: "This system cannot store the supplementary statement: add it by hand.",
}


def as_data(result: ChangeResult) -> dict[str, Any]:
    """The recorded result: counts and flags, no personal data."""
    return {
        "changed": result.changed,
        "already": result.already,
        "uncovered": result.uncovered,
        "statement_kept": result.statement_kept,
        "note": result.note[:500],
    }


def judge(
    job: ConnectorJob, result: ChangeResult | None, *, statement: bool = False
) -> tuple[str, dict[str, Any]]:
    """The job's status and recorded result; ``result`` None: the system lacks the
    capability, nothing was asked of it."""
    action = Capability(job.action)
    data = as_data(result) if result is not None else as_data(ChangeResult())
    short = _shortfall(job, action, result, statement=statement)
    if short is None:
        return JobStatus.SUCCEEDED, data
    if (
        action == Capability.OBJECT
        and short in (UNSUPPORTED, UNCOVERED)
        and used_for_direct_marketing(job.system) is False
    ):
        # Decided by the register: no activity of this system has a marketing purpose.
        return JobStatus.SUCCEEDED, {**data, "not_marketing": True}
    data["could_not"] = short
    if owner(job.system):
        data["note"] = NOTES[short]
        return JobStatus.WAITING, data  # the worker hands it over as a manual task
    data["note"] = NOTES[short] + " An officer decides what happens instead."
    return JobStatus.HELD, data


def _shortfall(
    job: ConnectorJob, action: Capability, result: ChangeResult | None, *, statement: bool
) -> str | None:
    if result is None:
        return UNSUPPORTED
    if result.uncovered:
        return UNCOVERED
    untouched = not result.changed and not result.already
    if action in (Capability.RESTRICT, Capability.OBJECT) and untouched and held_records(job):
        return NOTHING_CHANGED
    if action == Capability.RECTIFY and statement and not result.statement_kept:
        return STATEMENT_NOT_KEPT
    return None


def held_records(job: ConnectorJob) -> int:
    """How many records this system's locate found for the person (0 if it did not look)."""
    located = ConnectorJob.objects.filter(
        request_id=job.request_id,
        system=job.system,
        action=Capability.LOCATE,
        status=JobStatus.SUCCEEDED,
    ).first()
    if located is None:
        return 0
    return int(located.result.get("records") or (1 if located.result.get("found") else 0))


def owner(alias: str) -> str:
    config = registry.systems().get(alias)
    if config is None:
        return ""
    return config.owner_email or str(config.options.get("owner_email", ""))
