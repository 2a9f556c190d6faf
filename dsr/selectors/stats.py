"""The accountability statistics (Art. 5(2)): the figures for a period that the dashboard shows
and the annual report takes as CSV (each closed request's record: ``dsr.services.outcomes``).

Closed requests are counted from their ``RequestOutcome`` (it survives the retention purge);
requests without one (open, or closed before outcomes were recorded) from the live tables.
Every request is thus counted exactly once, whether or not it has been purged. The counts are
grouped in the database; Python only spreads the few distinct groups over the rights and
systems they name.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from dsr.core.clock import today
from dsr.core.controller import get_controller
from dsr.models import (
    ANSWERED,
    CLOSED_STATUSES,
    ConnectorJob,
    EventKind,
    ExtensionGround,
    JobStatus,
    Outcome,
    RequestEvent,
    RequestOutcome,
    ReviewOutcome,
    Status,
    SubjectRequest,
)
from dsr.rights import Right
from dsr.services.outcomes import NOT_RECORDED, REFUSAL_GROUNDS, closed_without_outcome

# --- one request's record -------------------------------------------------------------------------


# --- the period -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def current_year(cls) -> "Period":
        return cls.year(today().year)

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months

    def datetimes(self) -> tuple[datetime, datetime]:
        """The period as [start, end) instants in the controller's time zone."""
        zone = ZoneInfo(get_controller().time_zone)
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    @property
    def slug(self) -> str:
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def _live() -> "QuerySet[SubjectRequest]":
    """Requests the outcomes do not cover (open ones, and closed ones not yet recorded)."""
    return SubjectRequest.objects.filter(
        ~Exists(RequestOutcome.objects.filter(request_id=OuterRef("pk")))
    )


def _closed(period: Period) -> "QuerySet[RequestOutcome]":
    return RequestOutcome.objects.filter(closed_on__gte=period.start, closed_on__lte=period.end)


def _right_label(code: str) -> str:
    return str(Right(code).label) if code in Right.values else code


# --- the figures ----------------------------------------------------------------------------------


@dataclass
class MonthlyRow:
    key: str  # a right, or "" for all requests
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def received_per_month(period: Period) -> tuple[list[date], list[MonthlyRow], MonthlyRow]:
    """Requests received per right and month, and all requests per month (a request that
    invokes two rights counts once in the total and once under each right)."""
    months = period.months()
    index = {month: i for i, month in enumerate(months)}
    per_right: dict[str, list[int]] = {r: [0] * len(months) for r in Right.values}
    total = [0] * len(months)
    window = Q(received_on__gte=period.start, received_on__lte=period.end)
    month = TruncMonth("received_on")
    live = _live().filter(window)
    for row in live.values(m=month).annotate(n=Count("pk")):
        total[index[row["m"]]] += row["n"]
    for row in live.values("requested_rights__right", m=month).annotate(
        n=Count("pk", distinct=True)
    ):
        right = row["requested_rights__right"]
        if right:
            per_right.setdefault(right, [0] * len(months))[index[row["m"]]] += row["n"]
    for row in (
        RequestOutcome.objects.filter(window).values("rights", m=month).annotate(n=Count("pk"))
    ):
        total[index[row["m"]]] += row["n"]
        for right in row["rights"]:
            per_right.setdefault(right, [0] * len(months))[index[row["m"]]] += row["n"]
    rows = [MonthlyRow(key, _right_label(key), counts) for key, counts in per_right.items()]
    return months, rows, MonthlyRow("", _("All requests"), total)


@dataclass
class StatusRow:
    status: str
    label: str
    count: int
    overdue: int
    paused: int


def open_by_status(on: date | None = None) -> list[StatusRow]:
    """The open requests now, by status, with how many are overdue and paused."""
    on = on or today()
    found: dict[str, tuple[int, int, int]] = {
        status: (n, overdue, paused)
        for status, n, overdue, paused in SubjectRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .values_list("status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=on)),
            paused=Count("pk", filter=Q(paused=True)),
        )
    }
    return [
        StatusRow(status, str(label), *found.get(status, (0, 0, 0)))
        for status, label in Status.choices
        if status not in CLOSED_STATUSES
    ]


def _rate(part: int, whole: int) -> Decimal | None:
    """A share as a fraction with four decimals (None without a whole)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


@dataclass
class OnTimeRow:
    key: str
    label: str
    answered: int = 0
    on_time: int = 0
    on_time_extended: int = 0

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.on_time, self.answered)

    @property
    def rate_extended(self) -> Decimal | None:
        return _rate(self.on_time_extended, self.answered)


def on_time(period: Period) -> tuple[list[OnTimeRow], OnTimeRow]:
    """Of the requests answered (completed, partly or wholly refused) in the period: how
    many within one month, and how many within the deadline that applied (with extension)."""
    rows = {r: OnTimeRow(r, _right_label(r)) for r in Right.values}
    overall = OnTimeRow("", _("All requests"))
    groups = (
        _closed(period)
        .filter(outcome__in=ANSWERED)
        .values("rights")
        .annotate(
            n=Count("pk"),
            in_month=Count("pk", filter=Q(on_time=True)),
            in_deadline=Count("pk", filter=Q(on_time_extended=True)),
        )
    )
    for group in groups:
        targets = [rows.setdefault(r, OnTimeRow(r, _right_label(r))) for r in group["rights"]]
        for row in [*targets, overall]:
            row.answered += group["n"]
            row.on_time += group["in_month"]
            row.on_time_extended += group["in_deadline"]
    return list(rows.values()), overall


def _kth(histogram: list[tuple[int, int]], k: int) -> int:
    """The k-th smallest value (0-based) of a sorted (value, count) histogram."""
    seen = 0
    for value, count in histogram:
        seen += count
        if k < seen:
            return value
    raise IndexError(k)


def median(histogram: Counter[int]) -> Decimal | None:
    """The middle value; for an even count the mean of the two middle values."""
    items, n = sorted(histogram.items()), histogram.total()
    if not n:
        return None
    return (Decimal(_kth(items, (n - 1) // 2)) + Decimal(_kth(items, n // 2))) / 2


def percentile_90(histogram: Counter[int]) -> int | None:
    """Nearest rank: the fewest days within which at least 90% of the requests were closed."""
    items, n = sorted(histogram.items()), histogram.total()
    if not n:
        return None
    return _kth(items, -(-9 * n // 10) - 1)  # ceil(0.9 n), 1-based


@dataclass
class DaysRow:
    key: str
    label: str
    days: Counter[int] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return self.days.total()

    @property
    def median(self) -> Decimal | None:
        return median(self.days)

    @property
    def p90(self) -> int | None:
        return percentile_90(self.days)


def days_to_close(period: Period) -> tuple[list[DaysRow], DaysRow]:
    """Calendar days from receipt to the answer, for requests answered in the period: the
    histogram comes from the database, the percentiles from the histogram."""
    rows = {r: DaysRow(r, _right_label(r)) for r in Right.values}
    overall = DaysRow("", _("All requests"))
    groups = (
        _closed(period)
        .filter(outcome__in=ANSWERED)
        .values("rights", "days_to_close")
        .annotate(n=Count("pk"))
    )
    for group in groups:
        targets = [rows.setdefault(r, DaysRow(r, _right_label(r))) for r in group["rights"]]
        for row in [*targets, overall]:
            row.days[group["days_to_close"]] += group["n"]
    return list(rows.values()), overall


@dataclass
class CountRow:
    key: str
    label: str
    count: int = 0
    partly: int = 0  # refusals only: of which partial


def outcomes(period: Period) -> list[CountRow]:
    found = dict(_closed(period).values_list("outcome").annotate(n=Count("pk")))
    return [CountRow(key, str(label), found.get(key, 0)) for key, label in Outcome.choices]


def extensions_by_ground(period: Period) -> list[CountRow]:
    """Extensions decided in the period, by their Art. 12(3) ground; "" for extensions made
    before the ground was recorded."""
    counts: Counter[str] = Counter()
    for ground, n in (
        RequestOutcome.objects.filter(
            extended=True, extended_on__gte=period.start, extended_on__lte=period.end
        )
        .values_list("extension_ground")
        .annotate(n=Count("pk"))
    ):
        counts[ground] += n
    start, end = period.datetimes()
    live = RequestEvent.objects.filter(kind=EventKind.EXTENDED, at__gte=start, at__lt=end).filter(
        ~Exists(RequestOutcome.objects.filter(request_id=OuterRef("request_id")))
    )
    for ground, n in live.values_list(KT("data__ground")).annotate(n=Count("pk")):
        counts[ground or NOT_RECORDED] += n
    rows = [CountRow(key, str(label), counts.pop(key, 0)) for key, label in ExtensionGround.choices]
    for key, n in sorted(counts.items()):
        rows.append(CountRow(key, _("Not recorded") if key == NOT_RECORDED else key, n))
    return rows


def refusals_by_ground(period: Period) -> list[CountRow]:
    """Requests closed in the period that were refused, wholly or in part, by ground."""
    rows = {key: CountRow(key, str(label)) for key, label in REFUSAL_GROUNDS.items()}
    groups = (
        _closed(period)
        .filter(outcome__in=[Outcome.REFUSED, Outcome.PARTLY_REFUSED])
        .values_list("refusal_ground", "outcome")
        .annotate(n=Count("pk"))
    )
    for ground, outcome, n in groups:
        row = rows.setdefault(ground, CountRow(ground, ground or _("Not recorded")))
        row.count += n
        row.partly += n if outcome == Outcome.PARTLY_REFUSED else 0
    return list(rows.values())


def reviews_by_outcome(period: Period) -> list[CountRow]:
    """Art. 22 reviews of automated decisions in the requests closed in the period, by what
    the review came to."""
    found = dict(
        _closed(period)
        .exclude(review_outcome="")
        .values_list("review_outcome")
        .annotate(n=Count("pk"))
    )
    return [CountRow(key, str(label), found.get(key, 0)) for key, label in ReviewOutcome.choices]


@dataclass
class SystemRow:
    system: str
    jobs: int = 0
    failed: int = 0
    failed_now: int = 0  # failed jobs of open requests, waiting for an officer

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.failed, self.jobs)


def connector_failures(period: Period) -> list[SystemRow]:
    """Per system: jobs of the requests closed in the period and how many failed (see
    ``job_failed``), and the failed jobs of open requests now."""
    rows: dict[str, SystemRow] = {}
    for systems, n in _closed(period).values_list("systems").annotate(n=Count("pk")):
        for system, counts in systems.items():
            row = rows.setdefault(system, SystemRow(system))
            row.jobs += n * counts.get("jobs", 0)
            row.failed += n * counts.get("failed", 0)
    failing = (
        ConnectorJob.objects.filter(status=JobStatus.FAILED)
        .exclude(request__status__in=CLOSED_STATUSES)
        .values_list("system")
        .annotate(n=Count("pk"))
    )
    for system, n in failing:
        rows.setdefault(system, SystemRow(system)).failed_now += n
    return [rows[key] for key in sorted(rows)]


@dataclass
class Report:
    period: Period
    months: list[date]
    received: list[MonthlyRow]
    received_total: MonthlyRow
    open: list[StatusRow]
    outcomes: list[CountRow]
    on_time: list[OnTimeRow]
    on_time_overall: OnTimeRow
    days: list[DaysRow]
    days_overall: DaysRow
    extensions: list[CountRow]
    refusals: list[CountRow]
    systems: list[SystemRow]
    unrecorded: int  # closed requests without an outcome yet (see ``backfill``)
    reviews: list[CountRow] = field(default_factory=list)  # Art. 22 reviews by outcome


def report(period: Period) -> Report:
    months, received, received_total = received_per_month(period)
    on_time_rows, on_time_overall = on_time(period)
    days_rows, days_overall = days_to_close(period)
    return Report(
        period=period,
        months=months,
        received=received,
        received_total=received_total,
        open=open_by_status(),
        outcomes=outcomes(period),
        on_time=on_time_rows,
        on_time_overall=on_time_overall,
        days=days_rows,
        days_overall=days_overall,
        extensions=extensions_by_ground(period),
        refusals=refusals_by_ground(period),
        systems=connector_failures(period),
        unrecorded=closed_without_outcome().count(),
        reviews=reviews_by_outcome(period),
    )


# --- the CSV for the annual report ----------------------------------------------------------------

CSV_HEADER = ["section", "key", "label", "month", "measure", "value"]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def csv_rows(data: Report) -> Iterator[list[str]]:
    """One long table: a row per figure (section, what it is about, month, measure, value)."""

    def row(section: str, key: str, label: str, month: str, measure: str, value: Any) -> list[str]:
        return [section, key, label, month, measure, _cell(value)]

    period = data.period
    yield CSV_HEADER
    yield row("period", "", "", "", "start", period.start.isoformat())
    yield row("period", "", "", "", "end", period.end.isoformat())
    for line in [*data.received, data.received_total]:
        key = line.key or "all"
        for month, count in zip(data.months, line.counts, strict=True):
            yield row("received", key, line.label, month.strftime("%Y-%m"), "requests", count)
        yield row("received", key, line.label, "", "requests", line.total)
    for status in data.open:
        yield row("open", status.status, status.label, "", "requests", status.count)
        yield row("open", status.status, status.label, "", "overdue", status.overdue)
        yield row("open", status.status, status.label, "", "paused", status.paused)
    for outcome in data.outcomes:
        yield row("outcomes", outcome.key, outcome.label, "", "requests", outcome.count)
    for rate in [*data.on_time, data.on_time_overall]:
        key = rate.key or "all"
        yield row("on_time", key, rate.label, "", "answered", rate.answered)
        yield row("on_time", key, rate.label, "", "within_one_month", rate.on_time)
        yield row("on_time", key, rate.label, "", "rate_within_one_month", rate.rate)
        yield row("on_time", key, rate.label, "", "within_deadline", rate.on_time_extended)
        yield row("on_time", key, rate.label, "", "rate_within_deadline", rate.rate_extended)
    for days in [*data.days, data.days_overall]:
        key = days.key or "all"
        yield row("days_to_close", key, days.label, "", "answered", days.count)
        yield row("days_to_close", key, days.label, "", "median", days.median)
        yield row("days_to_close", key, days.label, "", "p90", days.p90)
    for extension in data.extensions:
        key = extension.key or "not_recorded"
        yield row("extensions", key, extension.label, "", "requests", extension.count)
    for refusal in data.refusals:
        key = refusal.key or "not_recorded"
        yield row("refusals", key, refusal.label, "", "requests", refusal.count)
        yield row("refusals", key, refusal.label, "", "partly", refusal.partly)
    for review in data.reviews:
        yield row("reviews", review.key, review.label, "", "requests", review.count)
    for system in data.systems:
        yield row("connectors", system.system, system.system, "", "jobs", system.jobs)
        yield row("connectors", system.system, system.system, "", "failed", system.failed)
        yield row("connectors", system.system, system.system, "", "failure_rate", system.rate)
        yield row("connectors", system.system, system.system, "", "failed_now", system.failed_now)
