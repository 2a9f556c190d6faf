"""Giving a case to an officer, one at a time or from the queue in bulk."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import (
    EventKind,
    SubjectRequest,
)
from dsr.selectors.staff import staff_members


@transaction.atomic
def assign(request: SubjectRequest, *, officer: User, assignee: User | None) -> None:
    """Give the case to an officer (or back to the pool); recorded with who did it."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if assignee is not None and not staff_members().filter(pk=assignee.pk).exists():
        raise RequestError(_("Cases can only be assigned to privacy officers."))
    if request.assignee_id == (assignee.pk if assignee else None):
        return
    request.assignee = assignee
    request.save(update_fields=["assignee"])
    record(
        request,
        EventKind.ASSIGNED,
        actor=officer,
        data={"assignee": assignee.pk if assignee else None},
    )


@transaction.atomic
def assign_many(ids: Iterable[int], *, officer: User, assignee: User | None) -> int:
    """Bulk assignment from the queue: each open request of ``ids`` (closed ones are left
    alone), each recorded; returns how many were assigned."""
    count = 0
    for request in SubjectRequest.objects.filter(pk__in=list(ids)).order_by("pk"):
        if request.is_open:
            assign(request, officer=officer, assignee=assignee)
            count += 1
    return count
