"""The report PDF of an access answer (WeasyPrint), in the request's language.

Art. 15(1)(a)-(h) and 15(2) per system from the processing register, the subject's rights and
the supervisory authority, then the data: whole tables where they are small, a summary and the
CSV's name where they are large. Nothing is fetched from the network: the stylesheet is inline,
fonts come from the system and are embedded, and the URL fetcher refuses every address.
"""

import itertools
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from connectors.registry import systems as configured
from dsr.core.controller import get_controller
from dsr.core.register import activities_for_system
from dsr.exports.records import read_records
from dsr.models import SubjectRequest
from dsr.rights import RIGHTS, Right

TABLE_ROWS = 25  # more than this: a summary and the CSV
TABLE_COLUMNS = 8


def _tables(parts_by_category: dict[tuple[str, str], list[Any]]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for (system, category), parts in parts_by_category.items():
        rows = list(itertools.islice((r for p in parts for r in read_records(p)), TABLE_ROWS + 1))
        columns = list(dict.fromkeys(k for row in rows for k in row))[:TABLE_COLUMNS]
        tables.setdefault(system, []).append(
            {
                "category": category,
                "columns": columns,
                "rows": [[row.get(c) for c in columns] for row in rows[:TABLE_ROWS]],
                "total": sum(p.records for p in parts),
                "csv": f"data/{system}/{category}.csv",
            }
        )
    return tables


def render(
    request: SubjectRequest,
    manifest: dict[str, Any],
    parts_by_category: dict[tuple[str, str], list[Any]],
) -> bytes:
    # Imported on first use: loading WeasyPrint costs every process that never renders a PDF.
    from dsr.core import pdf

    language = request.language
    controller = get_controller()
    tables = _tables(parts_by_category)
    systems = []
    for alias, outcome in sorted(manifest.get("systems", {}).items()):
        config = configured().get(alias)
        activities = activities_for_system(alias)
        systems.append(
            {
                "alias": alias,
                "name": config.name if config else alias,
                "outcome": outcome,
                "activities": [
                    {
                        "name": a.text("name", language),
                        "purpose": a.text("purpose", language),
                        "basis": a.get_legal_basis_display(),
                        "categories": a.text("data_categories", language),
                        "retention": a.text("retention", language),
                        "source": a.text("data_source", language) if a.data_source else "",
                        "recipients": list(a.recipients.all()),
                        "automated": a.automated_decision,
                        "logic": a.text("automated_logic", language),
                    }
                    for a in activities
                ],
                "tables": tables.get(alias, []),
            }
        )
    with translation.override(language), timezone.override(controller.time_zone):
        html = render_to_string(
            "reports/access_report.html",
            {
                "request": request,
                "controller": controller,
                "authorities": list(controller.authorities.all()),
                "rights": [RIGHTS[Right(r)].right.label for r in request.rights],
                "systems": systems,
                "manifest": manifest,
                "today": timezone.now(),
                "table_rows": TABLE_ROWS,
            },
        )
        return pdf.render(html)
