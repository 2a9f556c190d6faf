"""The report PDF of an access answer (WeasyPrint), in the request's language.

Art. 15(1)(a)-(h) and 15(2) per system from the processing register, the subject's rights and
the supervisory authority, then the data: whole tables where they are small, a summary and the
CSV's name where they are large. Every column of a record is shown, under the label its
connector declares (``Connector.columns``; the technical name in small print), its value written
for a reader (``dsr.exports.values``); records wider than ``TABLE_COLUMNS`` are printed as blocks
of label/value rows. Only the vendor's metadata about a record (``Kind.METADATA``) is left out
of the PDF; the CSV and data.json keep every field. Nothing is fetched from the network: the
stylesheet is inline, fonts come from the system and are embedded, and the URL fetcher refuses
every address.
"""

import itertools
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation

from connectors.base import Column, ConnectorError, Kind, Label
from connectors.registry import connector
from connectors.registry import systems as configured
from dsr.core.controller import competent_authority, get_controller
from dsr.core.legal_texts import WITHHELD_GROUNDS, WITHHELD_MARKERS
from dsr.core.register import activities_for_system
from dsr.exports.names import data_file
from dsr.exports.records import read_records
from dsr.exports.values import label_text, show
from dsr.models import SubjectRequest
from dsr.rights import RIGHTS, Right

# Up to this many records, a category's table is printed whole; more, and its first
# SAMPLE_ROWS are printed as an example, with the CSV's name for all of them. What a person
# reads in a report: the CSV and data.json hold every record, and each printed row costs the
# PDF's layout about as much as the rest of a page.
TABLE_ROWS = 10
SAMPLE_ROWS = 5
# More columns than this do not fit across an A4 page: each record becomes a block of
# label: value rows instead, so every column is shown, none cut off or squeezed.
TABLE_COLUMNS = 6
STYLESHEET = "reports/access_report.css"


def described(alias: str, category: str) -> tuple[Mapping[str, Column], Label]:
    """What the system declares about a category: its fields' labels and kinds, its name."""
    try:
        backend = connector(alias)
    except ConnectorError:
        return {}, ""  # not configured any more: technical names, values by type
    return backend.columns(category), backend.category_label(category)


def _tables(
    parts_by_category: dict[tuple[str, str], list[Any]],
    language: str,
    time_zone: tzinfo,
    samples: Mapping[tuple[str, str], list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for (system, category), parts in parts_by_category.items():
        declared, category_label = described(system, category)
        # Only what is printed is read: the first TABLE_ROWS records (one more to know),
        # given by the package where it read them already.
        if (system, category) in samples:
            rows = samples[(system, category)][: TABLE_ROWS + 1]
        else:
            rows = list(
                itertools.islice((r for p in parts for r in read_records(p)), TABLE_ROWS + 1)
            )
        hidden = frozenset(n for n, c in declared.items() if c.kind == Kind.METADATA)
        names = [
            name for name in dict.fromkeys(k for row in rows for k in row) if name not in hidden
        ]
        columns = [
            {"name": name, "label": label_text(declared[name].label, language)}
            if name in declared
            else {"name": name, "label": ""}
            for name in names
        ]
        total = sum(p.records for p in parts)
        printed = rows[: TABLE_ROWS if total <= TABLE_ROWS else SAMPLE_ROWS]
        shown = [
            [
                show(row.get(name), declared.get(name), row, time_zone=time_zone, hidden=hidden)
                for name in names
            ]
            for row in printed
        ]
        tables.setdefault(system, []).append(
            {
                "category": category,
                "label": label_text(category_label, language),
                "columns": columns,
                "rows": shown,
                "records": [list(zip(columns, row, strict=True)) for row in shown],
                "blocks": len(columns) > TABLE_COLUMNS,
                "total": total,
                "csv": data_file(system, category),
            }
        )
    return tables


def withheld(categories: Any) -> list[dict[str, Any]]:
    """What was withheld and why, by category: the marker the person sees and its ground."""
    return [
        {"marker": WITHHELD_MARKERS[c], "ground": WITHHELD_GROUNDS[c]}
        for c in sorted(set(categories))
        if c in WITHHELD_MARKERS
    ]


def _own_rules(alias: str, outcome: Mapping[str, Any], language: str) -> list[dict[str, Any]]:
    """The system's own deletion rules, with how many of the exported records are older than
    the rule and still held (they are in the answer all the same)."""
    older = outcome.get("past_rule") or {}
    rules = []
    for category, hours in (outcome.get("expired") or {}).items():
        label = label_text(described(alias, category)[1], language) or category
        rules.append({"category": label, "hours": hours, "older": older.get(category, 0)})
    return rules


def render(
    request: SubjectRequest,
    manifest: dict[str, Any],
    parts_by_category: dict[tuple[str, str], list[Any]],
    *,
    samples: Mapping[tuple[str, str], list[dict[str, Any]]] | None = None,
) -> bytes:
    """The report; ``samples``: the first records of each category, where the caller has
    read them already (the package does, in its one pass over the pages)."""
    # Imported on first use: loading WeasyPrint costs every process that never renders a PDF.
    from dsr.core import pdf

    language = request.language
    controller = get_controller()
    with translation.override(language), timezone.override(controller.time_zone):
        # Everything the reader sees is made here, in their language: labels, legal bases,
        # categories, values (dates in the controller's time zone).
        tables = _tables(parts_by_category, language, ZoneInfo(controller.time_zone), samples or {})
        systems = []
        for alias, outcome in sorted(manifest.get("systems", {}).items()):
            config = configured().get(alias)
            activities = activities_for_system(alias)
            systems.append(
                {
                    "alias": alias,
                    "name": config.name_for(language) if config else alias,
                    "outcome": outcome,
                    "rules": _own_rules(alias, outcome, language),
                    "activities": [
                        {
                            "name": a.text("name", language),
                            "purpose": a.text("purpose", language),
                            "basis": str(a.get_legal_basis_display()),
                            "categories": a.text("data_categories", language),
                            "retention": a.text("retention", language),
                            "source": a.text("data_source", language) if a.data_source else "",
                            "recipients": [
                                {
                                    "name": r.name,
                                    "address": r.address,
                                    "role": str(r.get_role_display()),
                                    "transfer": r.safeguard != "none_needed",
                                    "safeguard": str(r.get_safeguard_display()),
                                    "detail": r.text("safeguard_detail", language),
                                }
                                for r in a.recipients.all()
                            ],
                            "automated": a.automated_decision,
                            "logic": a.text("automated_logic", language),
                            "consequences": a.text("automated_consequences", language),
                        }
                        for a in activities
                    ],
                    "tables": tables.get(alias, []),
                }
            )
        html = render_to_string(
            "reports/access_report.html",
            {
                "request": request,
                "controller": controller,
                # One authority, the one competent for this request (as in its letters).
                "authorities": [a for a in [competent_authority(request)] if a is not None],
                "rights": [str(RIGHTS[Right(r)].right.label) for r in request.rights],
                "systems": systems,
                "manifest": manifest,
                "withheld": withheld(manifest.get("withheld", ())),
                "today": timezone.now(),
            },
        )
        return pdf.render(html, stylesheet=STYLESHEET)
