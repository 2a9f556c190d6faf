"""Many requests at once, written straight to the tables (for query-count tests and bench/queue.py).

The rows look like the real thing (rights, assignees, paused clocks, failed jobs, languages)
but skip the services: a hundred thousand requests in seconds, not hours.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import cycle

from accounts.models import User
from dsr.models import RequestedRight, Status, SubjectRequest
from dsr.rights import Right

OPEN = [Status.AWAITING_VERIFICATION, Status.VERIFIED, Status.IN_PROGRESS, Status.IN_REVIEW]
RIGHTS = [Right.ACCESS, Right.ERASURE, Right.OBJECTION, Right.RECTIFICATION, Right.PORTABILITY]
LANGUAGES = ["en", "de", "nl"]


def add_requests(
    count: int,
    *,
    on: date,
    officers: Sequence[User | None] = (None,),
    start: int = 0,
    failed_every: int = 10,
    batch: int = 5000,
) -> None:
    """``count`` open requests due from 40 days ago to 40 days ahead of ``on``; every
    ``failed_every``-th has a failed connector job (0: none)."""
    from dsr.models import ConnectorJob, JobStatus

    assignees = cycle(officers)
    for first in range(start, start + count, batch):
        numbers = range(first, min(first + batch, start + count))
        requests = []
        for n in numbers:
            received = on - timedelta(days=n % 80)
            verified = n % 4 != 0
            requests.append(
                SubjectRequest(
                    reference=f"SYN-{n:07d}",
                    status=OPEN[n % 4],
                    language=LANGUAGES[n % 3],
                    channel="web",
                    received_at=datetime.combine(received, time(9), tzinfo=UTC),
                    received_on=received,
                    due_on=received + timedelta(days=40),
                    strict_due_on=received + timedelta(days=40),
                    paused=n % 50 == 7,
                    email=f"person{n}@example.org",
                    name=f"Person Number{n}",
                    requester_type="subject",
                    assignee=next(assignees),
                    verified_at=datetime.combine(received, time(10), tzinfo=UTC)
                    if verified
                    else None,
                    verification_method="email_link" if verified else "",
                )
            )
        SubjectRequest.objects.bulk_create(requests)
        rights = [
            RequestedRight(request=item, right=RIGHTS[(n // 10) % len(RIGHTS)])
            for n, item in zip(numbers, requests, strict=True)
        ]
        RequestedRight.objects.bulk_create(rights)
        jobs = []
        for n, item in zip(numbers, requests, strict=True):
            failed = failed_every and n % failed_every == failed_every - 1
            for system in ("crm", "billing"):
                status = JobStatus.FAILED if failed and system == "crm" else JobStatus.SUCCEEDED
                jobs.append(
                    ConnectorJob(
                        request=item, system=system, action="locate", status=status, attempts=1
                    )
                )
        ConnectorJob.objects.bulk_create(jobs)
