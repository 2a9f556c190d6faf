"""Record retention (LEGAL.md §5): a closed request is deleted, with everything that hangs off
it, once its retention period is over; its statistics record and its audit trail stay.

The period ends with the calendar year of closure plus ``DSR_RECORD_RETENTION_YEARS``: closed
on 1 June 2023 with 3 years, the request goes on or after 1 January 2027. Identity documents
and answer packages have their own, much shorter schedules (deleted at closure and after the
download period); this purge takes whatever of them is still there.

A request is held, and not purged, while
- a privacy admin has put it on legal hold;
- another request of the same person is open (same e-mail address, same account, or linked as
  a duplicate either way): that request may need this one's history;
- records its erasure kept under a retention duty still wait for their scheduled erasure.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core import audit
from dsr.core.clock import local_date
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.subjects import open_request_of_same_person
from dsr.models import (
    CLOSED_STATUSES,
    AuditKind,
    ConnectorJob,
    EventKind,
    ExportPart,
    PublicationNotice,
    RecipientNotice,
    RequestEvent,
    RequestOutcome,
    ScheduledErasure,
    SubjectRequest,
)
from dsr.services import outcomes


class Hold:
    """Why a request past its period is kept (codes for the command's counts)."""

    LEGAL_HOLD = "legal_hold"
    OPEN_REQUEST = "open_request_of_same_person"
    SCHEDULED_ERASURE = "scheduled_erasure_pending"


def purge_from(closed_on: date, years: int | None = None) -> date:
    """The first day on which a request closed on ``closed_on`` may be purged."""
    years = settings.DSR_RECORD_RETENTION_YEARS if years is None else years
    return date(closed_on.year + years + 1, 1, 1)


def _cutoff(on: date) -> date:
    """Requests closed before this date are past their period on ``on``."""
    return date(on.year - settings.DSR_RECORD_RETENTION_YEARS, 1, 1)


def hold_reason(request: SubjectRequest) -> str:
    """Why the request must be kept although its period is over; "" if nothing holds it."""
    if request.legal_hold:
        return Hold.LEGAL_HOLD
    if open_request_of_same_person(request) is not None:
        return Hold.OPEN_REQUEST
    if ScheduledErasure.objects.filter(request=request, done_at__isnull=True).exists():
        return Hold.SCHEDULED_ERASURE
    return ""


@dataclass
class Result:
    due: int = 0  # past their period
    purged: int = 0
    held: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)  # rows per model, files


def _due(on: date) -> list[int]:
    """Closed requests past their period on ``on`` (every closed request has its outcome
    first: the closing date is read from it)."""
    outcomes.backfill()
    closed_before = RequestOutcome.objects.filter(closed_on__lt=_cutoff(on)).values("request_id")
    return list(
        SubjectRequest.objects.filter(status__in=CLOSED_STATUSES, pk__in=closed_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def purge_closed(*, now: datetime | None = None, dry_run: bool = False) -> Result:
    """Delete every closed request past its retention period that nothing holds.

    Each request goes in a transaction of its own, together with the audit entry that says
    it was purged (so ``dsr_audit verify`` knows its events are gone on purpose); its stored
    files are deleted once that has committed.
    """
    on = local_date(now or timezone.now())
    if dry_run:
        with transaction.atomic():
            result = _run(on, dry_run=True)
            transaction.set_rollback(True)  # not even the backfilled outcomes stay
        return result
    return _run(on, dry_run=False)


def _run(on: date, *, dry_run: bool) -> Result:
    result = Result()
    for pk in _due(on):
        with transaction.atomic():
            request = SubjectRequest.objects.select_for_update().filter(pk=pk).first()
            if request is None or request.status not in CLOSED_STATUSES:
                continue
            result.due += 1
            reason = hold_reason(request)
            if reason:
                result.held[reason] += 1
                continue
            if dry_run:
                continue
            result.deleted.update(_purge(request))
            result.purged += 1
    return result


def _purge(request: SubjectRequest) -> Counter[str]:
    if not RequestOutcome.objects.filter(request_id=request.pk).exists():
        outcomes.snapshot(request)  # the figures a report already showed are never rewritten
    files = [
        *ExportPart.objects.filter(job__request=request).values_list("storage_name", flat=True),
        *request.packages.exclude(storage_name="").values_list("storage_name", flat=True),
        *request.files.exclude(storage_name="").values_list("storage_name", flat=True),
    ]
    deleted: Counter[str] = Counter()
    for queryset in (
        ConnectorJob.objects.filter(request=request),  # with export parts, tasks, callbacks
        RecipientNotice.objects.filter(request=request),
        PublicationNotice.objects.filter(request=request),
        ScheduledErasure.objects.filter(request=request),  # all done (or it would be held)
        request.packages.all(),
        request.proposals.all(),  # four-eyes proposals: their reasons may name people
    ):
        deleted.update(queryset.delete()[1])
    events = list(request.events.values_list("pk", flat=True))
    deleted["dsr.RequestEvent"] += _delete_events(request)
    # The rest cascades: rights asked for, challenges, files, messages, notes, letters sent,
    # redactions.
    deleted.update(SubjectRequest.objects.filter(pk=request.pk).delete()[1])
    deleted = Counter({label: n for label, n in deleted.items() if n})
    deleted["files"] += len(files)
    audit.append(
        AuditKind.PURGED,
        request_id=request.pk,
        data={"events": events, "deleted": dict(sorted(deleted.items()))},
        source=f"purged:{request.pk}",
    )
    transaction.on_commit(lambda: _delete_files(files))
    return deleted


def _delete_events(request: SubjectRequest) -> int:
    """The one place request events are ever deleted: the retention purge. Events are
    append-only (their queryset refuses ``delete``); this goes round that on purpose."""
    events = RequestEvent.objects.filter(request=request)
    return int(events._raw_delete(router.db_for_write(RequestEvent)))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# --- the explicit hold --------------------------------------------------------------------------


@transaction.atomic
def set_legal_hold(request: SubjectRequest, *, admin: User, hold: bool, reason: str) -> None:
    """A privacy admin holds a request past its retention period, or releases it; both need a
    reason and are recorded on the case."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not admin.has_perm("accounts.configure_portal"):
        raise RequestError(_("Only a privacy admin can place or release a legal hold."))
    if not reason.strip():
        raise RequestError(_("Give the reason; it is kept on the case."))
    if request.legal_hold == hold:
        raise RequestError(
            _("The request is already on legal hold.")
            if hold
            else _("The request is not on legal hold.")
        )
    request.legal_hold = hold
    request.legal_hold_reason = reason.strip() if hold else ""
    request.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    record(
        request,
        EventKind.LEGAL_HOLD_SET if hold else EventKind.LEGAL_HOLD_RELEASED,
        actor=admin,
        reason=reason.strip(),
    )
