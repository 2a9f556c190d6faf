"""The daily reminder e-mail to each officer, and to the privacy admins.

An officer gets their own open requests that are overdue or due within ``DSR_DIGEST_DAYS`` and
those whose last day for an extension or refusal notice (one month after receipt) is tomorrow.
Each officer also gets the proposals waiting for their approval, the unread answers from
requesters on their cases and their cases where a job or a delivery failed. Privacy admins also
get every unassigned open request and every overdue one. References and dates only: no
requester's name or address goes into these e-mails.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from accounts.models import User
from dsr.core import taskqueue
from dsr.core.clock import today
from dsr.core.mail import send_email
from dsr.models import (
    CLOSED_STATUSES,
    ConnectorJob,
    Delivery,
    DeliveryState,
    JobStatus,
    SubjectRequest,
)
from dsr.selectors import todo
from dsr.selectors.staff import staff_members


def _line(item: SubjectRequest, day: date) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "due_on": item.due_on,
        "days_left": max((item.due_on - day).days, 0),
        "days_overdue": max((day - item.due_on).days, 0),
        "url": settings.DSR_BASE_URL + reverse("staff:case", args=[item.reference]),
    }


def sections(user: User, day: date) -> dict[str, list[dict[str, Any]]]:
    open_requests = SubjectRequest.objects.exclude(status__in=CLOSED_STATUSES).order_by(
        "due_on", "pk"
    )
    soon = day + timedelta(days=settings.DSR_DIGEST_DAYS)
    mine = open_requests.filter(assignee=user)
    result = {
        "overdue": [_line(r, day) for r in mine.filter(due_on__lt=day)],
        "due_soon": [_line(r, day) for r in mine.filter(due_on__gte=day, due_on__lte=soon)],
        "last_chance": [
            _line(r, day)
            for r in mine.filter(extended=False, strict_due_on=day + timedelta(days=1))
        ],
        "unassigned": [],
        "all_overdue": [],
        # What waits for this officer besides the dates (as on the overview).
        "approvals": [_line(p.request, day) for p in todo.awaiting_approval(user)],
        "answers": _unique(
            [
                _line(m.request, day)
                for m in todo.unread_answers(user).filter(request__assignee=user)
            ]
        ),
        "failed": _failed(mine, day),
    }
    if user.has_perm("accounts.configure_portal"):
        result["unassigned"] = [_line(r, day) for r in open_requests.filter(assignee=None)]
        result["all_overdue"] = [
            _line(r, day) for r in open_requests.filter(due_on__lt=day).exclude(assignee=user)
        ]
    return result


def _unique(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per request (a requester may have written twice)."""
    return list({line["reference"]: line for line in lines}.values())


def _failed(requests: "QuerySet[SubjectRequest]", day: date) -> list[dict[str, Any]]:
    """The requests with a system's job or a delivery to the requester that failed for good."""
    failed = requests.filter(
        Exists(ConnectorJob.objects.filter(request=OuterRef("pk"), status=JobStatus.FAILED))
        | Exists(Delivery.objects.filter(request=OuterRef("pk"), state=DeliveryState.FAILED))
    )
    return [_line(r, day) for r in failed]


SEND_DIGEST = "dsr.tasks.send_digest"


def send_digests(day: date | None = None) -> int:
    """Owe one e-mail per staff member with something to do (once per day, however often this
    runs); returns how many were owed."""
    day = day or today()
    owed = 0
    for user in staff_members():
        if not any(sections(user, day).values()):
            continue
        taskqueue.owe(
            SEND_DIGEST, user.pk, day.isoformat(), label="digest", key=f"digest:{user.pk}:{day}"
        )
        owed += 1
    return owed


def send_digest(user_id: int, day: str) -> bool:
    """Render and send one staff member's digest for ``day`` (what is due when it is sent)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    when = date.fromisoformat(day)
    context = sections(user, when)
    if not any(context.values()):
        return False
    send_email(
        template="digest",
        to=user.email,
        context=context | {"day": when, "window": settings.DSR_DIGEST_DAYS},
        language=user.language or settings.LANGUAGE_CODE,
    )
    return True
