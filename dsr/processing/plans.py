"""Which actions each right needs, in which order (LEGAL.md §4)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import Capability
from dsr.rights import Right

# (action, offset within a system's stage). Locating comes first so later steps know whether
# there is anything to act on, and what identifiers the system revealed.
PLANS: dict[str, tuple[tuple[Capability, int], ...]] = {
    Right.ACCESS: ((Capability.LOCATE, 0), (Capability.EXPORT, 1)),
    Right.PORTABILITY: ((Capability.LOCATE, 0), (Capability.EXPORT, 1)),
    Right.RECTIFICATION: ((Capability.LOCATE, 0), (Capability.RECTIFY, 1)),
    Right.ERASURE: ((Capability.LOCATE, 0), (Capability.ERASE, 1)),
    Right.RESTRICTION: ((Capability.LOCATE, 0), (Capability.RESTRICT, 1)),
    # Direct marketing: suppress everywhere at once; no approval, no locate first.
    "objection:direct_marketing": ((Capability.OBJECT, 0),),
    # Art. 21(1): processing stops (restricted) while the officer weighs the grounds.
    "objection:particular_situation": ((Capability.LOCATE, 0), (Capability.RESTRICT, 1)),
    # Art. 7(3): effective at once (suppress), then data held only on consent is erased.
    Right.CONSENT_WITHDRAWAL: ((Capability.OBJECT, 0), (Capability.ERASE, 1)),
    # Art. 22: nothing for the systems to do; a person reviews the decision (the officer's
    # review, dsr.services.decision_review).
    Right.AUTOMATED_DECISION: (),
}

# Rights whose processing waits for an officer's approval after verification.
NEEDS_APPROVAL = frozenset({Right.ERASURE})


def plan_key(right: str, details: Mapping[str, Any]) -> str:
    if right == Right.OBJECTION:
        return f"objection:{details.get('kind', 'direct_marketing')}"
    return right


def all_without_jobs(rights: Mapping[str, Mapping[str, Any]]) -> bool:
    """No right of the request needs the systems (an Art. 22 review): its processing starts
    and finishes at once, whether or not systems are configured."""
    return all(not PLANS[plan_key(right, details)] for right, details in rights.items())


@dataclass(frozen=True)
class PlannedJob:
    system: str
    action: Capability
    step: int


def plan(rights: Mapping[str, Mapping[str, Any]], stages: Mapping[str, int]) -> list[PlannedJob]:
    """One job per (system, action) for all the request's rights; step = stage * 10 + offset."""
    jobs: dict[tuple[str, Capability], PlannedJob] = {}
    for right, details in rights.items():
        for action, offset in PLANS[plan_key(right, details)]:
            for system, stage in stages.items():
                step = stage * 10 + offset
                key = (system, action)
                if key not in jobs or jobs[key].step > step:
                    jobs[key] = PlannedJob(system, action, step)
    return sorted(jobs.values(), key=lambda job: (job.step, job.system, job.action))
