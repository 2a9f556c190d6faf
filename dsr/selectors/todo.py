"""An officer's to-do list: what waits for them, each kind counted with where to work it.

The counts of the queue's kinds are the queue's own filters (``dsr.selectors.queue``), so the
number on the overview is the number of rows its link shows.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.models import User
from dsr.models import (
    CLOSED_STATUSES,
    CaseMessage,
    Delivery,
    DeliveryState,
    MessageDirection,
    Proposal,
    ProposalOutcome,
    SubjectRequest,
)
from dsr.selectors.case import delivery_label
from dsr.selectors.queue import DUE_SOON_DAYS, Filters, open_requests

# How many cases a section names one by one (the link shows them all).
SHOWN = 5


@dataclass(frozen=True)
class Section:
    key: str
    count: int
    url: str = ""  # the filtered queue, where one exists
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many the section does not name."""
        return max(self.count - len(self.items), 0)


def _queue_url(**query: str) -> str:
    return f"{reverse('staff:cases')}?{urlencode(query)}"


def _case_url(reference: str, anchor: str = "") -> str:
    url = reverse("staff:case", args=[reference])
    return f"{url}#{anchor}" if anchor else url


def awaiting_approval(user: User) -> "QuerySet[Proposal]":
    """Proposals another officer made that this one may approve (never their own)."""
    return (
        Proposal.objects.filter(outcome=ProposalOutcome.PENDING)
        .exclude(proposed_by=user)
        .exclude(request__status__in=CLOSED_STATUSES)
        .select_related("request", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def unread_answers(user: User) -> "QuerySet[CaseMessage]":
    """Requesters' messages nobody working the case has read: on this officer's cases, and
    on cases nobody is working on yet."""
    return (
        CaseMessage.objects.filter(direction=MessageDirection.FROM_REQUESTER, read_at=None)
        .exclude(request__status__in=CLOSED_STATUSES)
        .filter(Q(request__assignee=user) | Q(request__assignee=None))
        .select_related("request")
        .order_by("created_at", "pk")
    )


def failed_deliveries() -> "QuerySet[Delivery]":
    """E-mails, letters and packages owed to a requester that failed for good."""
    return (
        Delivery.objects.filter(state=DeliveryState.FAILED, request__isnull=False)
        .select_related("request")
        .order_by("created_at", "pk")
    )


def _cases(items: "QuerySet[SubjectRequest]", anchor: str = "") -> list[dict[str, Any]]:
    return [
        {
            "reference": item.reference,
            "due_on": item.due_on,
            "url": _case_url(item.reference, anchor),
        }
        for item in items[:SHOWN]
    ]


def todo(user: User, day: date) -> list[Section]:
    def queue(**filters: Any) -> "QuerySet[SubjectRequest]":
        return open_requests(Filters(**filters), user_id=user.pk, on=day)

    mine = queue(assignee="me")
    overdue = queue(due="overdue")
    this_week = queue(due=str(DUE_SOON_DAYS))
    failed_jobs = queue(failed=True)
    proposals = awaiting_approval(user)
    answers = unread_answers(user)
    deliveries = failed_deliveries()
    return [
        Section("mine", mine.count(), _queue_url(assignee="me"), _cases(mine)),
        Section("overdue", overdue.count(), _queue_url(due="overdue"), _cases(overdue)),
        Section(
            "this_week", this_week.count(), _queue_url(due=str(DUE_SOON_DAYS)), _cases(this_week)
        ),
        Section(
            # The queue's filter also shows this officer's own proposals: the cases instead.
            "approval",
            proposals.count(),
            "",
            [
                {
                    "reference": p.request.reference,
                    "what": p.get_kind_display(),
                    "by": p.proposed_by.email,
                    "url": _case_url(p.request.reference, f"proposal-{p.pk}"),
                }
                for p in proposals[:SHOWN]
            ],
        ),
        Section(
            "answers",
            answers.count(),
            "",
            [
                {
                    "reference": m.request.reference,
                    "at": m.created_at,
                    "url": _case_url(m.request.reference),
                }
                for m in answers[:SHOWN]
            ],
        ),
        Section(
            "failed_jobs", failed_jobs.count(), _queue_url(failed="on"), _cases(failed_jobs, "jobs")
        ),
        Section(
            "failed_deliveries",
            deliveries.count(),
            "",
            [
                {
                    "reference": d.request.reference,
                    "what": delivery_label(d.label),
                    "url": _case_url(d.request.reference, f"delivery-{d.pk}"),
                }
                for d in deliveries[:SHOWN]
                if d.request is not None
            ],
        ),
    ]
