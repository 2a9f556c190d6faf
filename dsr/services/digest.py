"""The daily reminder e-mail to each officer, and to the privacy admins.

An officer gets their own open requests that are overdue or due within ``DSR_DIGEST_DAYS`` and
those whose last day for an extension or refusal notice (one month after receipt) is tomorrow.
Privacy admins also get every unassigned open request and every overdue one. References and
dates only: no requester's name or address goes into these e-mails.
"""

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from dsr.core.clock import today
from dsr.core.mail import send_email
from dsr.models import CLOSED_STATUSES, SubjectRequest
from dsr.selectors.staff import staff_members

logger = logging.getLogger(__name__)


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
    }
    if user.has_perm("accounts.configure_portal"):
        result["unassigned"] = [_line(r, day) for r in open_requests.filter(assignee=None)]
        result["all_overdue"] = [
            _line(r, day) for r in open_requests.filter(due_on__lt=day).exclude(assignee=user)
        ]
    return result


def send_digests(day: date | None = None) -> int:
    """One e-mail per staff member with something to do; returns how many were sent."""
    day = day or today()
    sent = 0
    for user in staff_members():
        context = sections(user, day)
        if not any(context.values()):
            continue
        try:
            send_email(
                template="digest",
                to=user.email,
                context=context | {"day": day, "window": settings.DSR_DIGEST_DAYS},
                language=user.language or settings.LANGUAGE_CODE,
            )
        except Exception:  # one officer's mail server trouble does not cost the others theirs
            logger.exception("The digest for staff member %s was not sent", user.pk)
            continue
        sent += 1
    return sent
