"""Reading the processing register: per system (reports, Art. 19 notices), and the activities
that decide automatically (Art. 22)."""

from django.db.models import Q

from connectors.registry import systems
from dsr.models import ProcessingActivity, Recipient
from dsr.rights import RIGHTS, Right, RightInfo


def activities_for_system(alias: str) -> list[ProcessingActivity]:
    """Activities that name the system, or that the system's configuration names."""
    config = systems().get(alias)
    keys = list(config.activities) if config else []
    query = Q(key__in=keys)
    # A JSON list contains the alias (portable across PostgreSQL, MariaDB and SQLite).
    for activity in ProcessingActivity.objects.filter(active=True).only("pk", "systems"):
        if alias in (activity.systems or []):
            query |= Q(pk=activity.pk)
    return list(
        ProcessingActivity.objects.filter(query, active=True).prefetch_related("recipients")
    )


def recipients_for_system(alias: str) -> list[str]:
    """Everyone who receives this system's data: from the register and the configuration."""
    names = {r.name for a in activities_for_system(alias) for r in a.recipients.all()}
    config = systems().get(alias)
    names.update(config.recipients if config else ())
    return sorted(names)


def public_activities_for_system(alias: str) -> list[ProcessingActivity]:
    """The system's activities that made personal data public (Art. 17(2)), with the
    controllers known to process it."""
    return [
        activity
        for activity in ProcessingActivity.objects.filter(
            pk__in=[a.pk for a in activities_for_system(alias)], made_public=True
        ).prefetch_related("public_controllers")
    ]


def used_for_direct_marketing(alias: str) -> bool | None:
    """Whether the register says this system serves direct marketing: None when the register
    names no activity for it (then nobody can say it does not)."""
    activities = activities_for_system(alias)
    if not activities:
        return None
    return any(activity.direct_marketing for activity in activities)


def automated_activities() -> list[ProcessingActivity]:
    """The active activities that take decisions by automated means alone (Art. 22 GDPR)."""
    return list(ProcessingActivity.objects.filter(active=True, automated_decision=True))


def decides_automatically() -> bool:
    """Whether anything in the register decides automatically: only then is an Art. 22 review
    something a person can ask for (the form offers nothing that does not exist)."""
    return ProcessingActivity.objects.filter(active=True, automated_decision=True).exists()


def offered(right: Right) -> bool:
    """Whether the public pages offer this right: an Art. 22 review only where the register
    has an activity that decides automatically."""
    return right != Right.AUTOMATED_DECISION or decides_automatically()


def offered_rights() -> list[RightInfo]:
    return [info for right, info in RIGHTS.items() if offered(right)]


__all__ = [
    "Recipient",
    "activities_for_system",
    "automated_activities",
    "decides_automatically",
    "offered",
    "offered_rights",
    "public_activities_for_system",
    "recipients_for_system",
    "used_for_direct_marketing",
]
