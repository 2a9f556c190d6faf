"""Reading the processing register for one system (reports, Art. 19 notices)."""

from django.db.models import Q

from connectors.registry import systems
from dsr.models import ProcessingActivity, Recipient


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


__all__ = [
    "Recipient",
    "activities_for_system",
    "public_activities_for_system",
    "recipients_for_system",
    "used_for_direct_marketing",
]
