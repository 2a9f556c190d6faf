"""Rectification: the officer turns the requester's words into field changes."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from connectors.base import (
    Capability,
)
from dsr.core.errors import RequestError
from dsr.models import (
    JobStatus,
    RequestedRight,
    SubjectRequest,
)
from dsr.rights import Right
from dsr.services.jobs import retry_job


def parse_changes(text: str, *, allow_empty: bool = False) -> dict[str, str]:
    """``field = value`` per line (``table.field`` to name the table) into a change set;
    ``allow_empty``: none at all (a rectification that only adds a statement)."""
    changes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        field, sep, value = line.partition("=")
        if not sep or not field.strip():
            raise RequestError(
                _("Line %(number)d is not of the form field = value.") % {"number": number}
            )
        changes[field.strip()] = value.strip()
    if not changes and not allow_empty:
        raise RequestError(_("Please state at least one field and its corrected value."))
    return changes


@transaction.atomic
def set_rectification(request: SubjectRequest, *, officer: Any, changes: dict[str, str]) -> int:
    """The officer turns the requester's words into field changes (none, where the request
    only adds a supplementary statement, Art. 16); waiting jobs run again."""
    right = (
        RequestedRight.objects.select_for_update()
        .filter(request=request, right=Right.RECTIFICATION)
        .first()
    )
    if right is None:
        raise RequestError(_("This request does not ask for a rectification."))
    if not changes and not str(right.details.get("statement") or "").strip():
        raise RequestError(_("Please state at least one field and its corrected value."))
    right.details = {**right.details, "changes": changes}
    right.save(update_fields=["details"])
    waiting = list(
        request.jobs.filter(action=Capability.RECTIFY, status=JobStatus.HELD).exclude(
            result__has_key="could_not"
        )
    )
    for job in waiting:
        retry_job(job, officer=officer)
    return len(waiting)
