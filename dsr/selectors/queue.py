"""The officers' queue: open requests, filtered and sorted in the database, one page at a time.

Every row on a page costs nothing extra: the assignee is joined, the rights come in one
prefetch and the failed jobs are counted by a subquery, so a page takes the same number of
queries with ten requests or a hundred thousand.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dsr.models import (
    CLOSED_STATUSES,
    ConnectorJob,
    JobStatus,
    Proposal,
    ProposalOutcome,
    RequestedRight,
    SubjectRequest,
)

DUE_SOON_DAYS = 7
PAGE_SIZE = 50
MAX_BULK = 200
SORTS = {
    "due": ("due_on", "pk"),
    "-due": ("-due_on", "-pk"),
    "received": ("received_at", "pk"),
    "-received": ("-received_at", "-pk"),
}


def _failed_jobs() -> Any:
    return ConnectorJob.objects.filter(request=OuterRef("pk"), status=JobStatus.FAILED)


def _pending_proposals() -> Any:
    return Proposal.objects.filter(request=OuterRef("pk"), outcome=ProposalOutcome.PENDING)


@dataclass(frozen=True)
class Filters:
    """What the officer asked for; every field optional ("" = any)."""

    search: str = ""
    statuses: tuple[str, ...] = ()
    right: str = ""
    assignee: str = ""  # "me", "none" or a user id
    due: str = ""  # "overdue", "paused" or a number of days
    failed: bool = False
    approval: bool = False  # a proposed decision waits for a second officer
    language: str = ""
    sort: str = "due"


def open_requests(filters: Filters, *, user_id: int, on: date) -> QuerySet[SubjectRequest]:
    failed_count = _failed_jobs().order_by().values("request").annotate(n=Count("pk")).values("n")
    items = (
        SubjectRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .select_related("assignee")
        .prefetch_related(
            Prefetch("requested_rights", RequestedRight.objects.only("request_id", "right"))
        )
        .annotate(
            failed_jobs=Coalesce(Subquery(failed_count), Value(0), output_field=IntegerField()),
            # Four eyes: a decision proposed by one officer waits for another.
            proposals_waiting=Exists(_pending_proposals()),
        )
    )
    search = filters.search.strip()
    if "@" in search:
        items = items.filter(email__iexact=search)
    elif search:
        items = items.filter(reference=search.upper())
    if filters.statuses:
        items = items.filter(status__in=filters.statuses)
    if filters.right:
        items = items.filter(
            Exists(RequestedRight.objects.filter(request=OuterRef("pk"), right=filters.right))
        )
    if filters.assignee == "me":
        items = items.filter(assignee_id=user_id)
    elif filters.assignee == "none":
        items = items.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        items = items.filter(assignee_id=int(filters.assignee))
    if filters.due == "overdue":
        items = items.filter(due_on__lt=on, paused=False)
    elif filters.due == "paused":
        items = items.filter(paused=True)
    elif filters.due.isdigit():
        items = items.filter(due_on__gte=on, due_on__lte=on + timedelta(days=int(filters.due)))
    if filters.failed:
        items = items.filter(Exists(_failed_jobs()))
    if filters.approval:
        items = items.filter(Exists(_pending_proposals()))
    if filters.language:
        items = items.filter(language=filters.language)
    return items.order_by(*SORTS.get(filters.sort, SORTS["due"]))


@dataclass(frozen=True)
class Badge:
    key: str  # on_track, due_soon, overdue, paused
    label: str
    css: str
    days: str


def badge(item: SubjectRequest, on: date) -> Badge:
    left = (item.due_on - on).days
    if left < 0:
        days = ngettext("%(n)d day overdue", "%(n)d days overdue", -left) % {"n": -left}
    elif left == 0:
        days = _("due today")
    else:
        days = ngettext("%(n)d day left", "%(n)d days left", left) % {"n": left}
    if item.paused:
        return Badge("paused", _("paused"), "text-bg-secondary", days)
    if left < 0:
        return Badge("overdue", _("overdue"), "text-bg-danger", days)
    if left <= DUE_SOON_DAYS:
        return Badge("due_soon", _("due within 7 days"), "text-bg-warning", days)
    return Badge("on_track", _("on track"), "text-bg-success", days)


def mask_email(address: str) -> str:
    """Enough to tell two requests apart at a glance, not enough to know who asked."""
    if "@" not in address:
        return "•••" if address else ""
    local, _sep, domain = address.rpartition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    masked_host = f"{host[:1]}•••" if host else "•••"
    return f"{local[:1]}•••@{masked_host}{dot}{tld}"


def mask_name(name: str) -> str:
    return " ".join(f"{part[:1]}." for part in name.split()[:3])
