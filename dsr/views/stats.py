"""The accountability dashboard (Art. 5(2)) and its CSV for the annual report."""

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff_required
from dsr.selectors import stats
from dsr.selectors.stats import Period
from dsr.staff_forms import StatsPeriodForm

# The chart of requests received per month: an SVG drawn here, in these units.
CHART_HEIGHT = 160
BAR_WIDTH = 28
BAR_GAP = 8
LABEL_SPACE = 36


def _period(request: HttpRequest) -> tuple[Period, StatsPeriodForm]:
    """The period asked for in the address, or the current calendar year."""
    form = StatsPeriodForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if data.get("from") and data.get("to"):
            return Period(data["from"], data["to"]), form
        if data.get("year"):
            return Period.year(data["year"]), form
    elif request.GET:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return Period.current_year(), form


def _bars(report: stats.Report) -> dict[str, Any]:
    """Geometry of the monthly bar chart; the numbers stay in the table next to it."""
    counts = report.received_total.counts
    top = max(counts, default=0) or 1
    bars = []
    for i, (month, count) in enumerate(zip(report.months, counts, strict=True)):
        height = round(CHART_HEIGHT * count / top)
        bars.append(
            {
                "month": month,
                "count": count,
                "x": i * (BAR_WIDTH + BAR_GAP),
                "y": CHART_HEIGHT - height,
                "height": height,
                "label_x": i * (BAR_WIDTH + BAR_GAP) + BAR_WIDTH // 2,
            }
        )
    return {
        "bars": bars,
        "width": max(1, len(bars) * (BAR_WIDTH + BAR_GAP)),
        "height": CHART_HEIGHT + LABEL_SPACE,
        "bar_width": BAR_WIDTH,
        "baseline": CHART_HEIGHT,
        "value_y": CHART_HEIGHT + 14,
        "month_y": CHART_HEIGHT + 30,
    }


def _percent(value: Any) -> float | None:
    return None if value is None else float(value * 100)


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    period, form = _period(request)
    report = stats.report(period)
    return render(
        request,
        "staff/stats.html",
        {
            "report": report,
            "form": form,
            "chart": _bars(report),
            "on_time_rows": [
                (row, _percent(row.rate), _percent(row.rate_extended))
                for row in [*report.on_time, report.on_time_overall]
            ],
            "system_rows": [(row, _percent(row.rate)) for row in report.systems],
            "extensions_total": sum(row.count for row in report.extensions),
            "refusals_total": sum(row.count for row in report.refusals),
            "csv_query": request.GET.urlencode(),
        },
    )


@staff_required
def export_csv(request: HttpRequest) -> HttpResponse:
    period, _ = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dsr-statistics-{period.slug}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    for row in stats.csv_rows(stats.report(period)):
        writer.writerow(row)
    return response
