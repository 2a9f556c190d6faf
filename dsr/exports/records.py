"""Reading the encrypted export pages a job stored: one record at a time."""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.files.storage import default_storage
from django.utils import translation

from connectors.base import WITHHELD
from dsr.core.crypto import FileTampered, unseal
from dsr.core.files import owner_of, refused
from dsr.core.legal_texts import WITHHELD_MARKERS
from dsr.models import ExportPart, JobStatus, SubjectRequest


def read_records(part: Any) -> Iterator[dict[str, Any]]:
    """A page's records, with the officer's redactions applied and what the system withheld
    shown by its marker (see ``parts_by_category``)."""
    yield from read_page(part)[1]


def read_page(part: Any) -> tuple[list[str] | None, list[dict[str, Any]]]:
    """A page's records as ``read_records`` gives them, with their JSON lines as stored
    (markers in place) where no redaction changes them, else ``None``: the package writes the
    records' JSON from those lines rather than serialise them again. Decrypted once, parsed
    in one go (a page is one JSON record per line)."""
    redact = getattr(part, "redact", None)
    owner = owner_of(part, "export_part")
    try:
        with default_storage.open(part.storage_name, "rb") as handle:
            text = unseal(handle.read(), owner=owner).decode()
    except FileTampered as exc:
        raise refused(owner, part.job.request_id, str(exc)) from exc
    markers = getattr(part, "markers", None)
    if markers and WITHHELD_START in text:
        text = WITHHELD.sub(lambda m: markers.get(m.group(1), markers["third_party"]), text)
    lines = [line for line in text.splitlines() if line]
    records = json.loads("[" + ",".join(lines) + "]")
    if len(records) != len(lines):  # not one record a line: read as lines, to say which
        records = [json.loads(line) for line in lines]
    if redact is None:
        return lines, records
    return None, [redact(record) for record in records]


WITHHELD_START = "\u27e6withheld:"


def parts_by_category(request: SubjectRequest) -> dict[tuple[str, str], list[Any]]:
    """(system, category) -> its pages, in order; only the finished run of each export.

    Each page carries the redaction for its system, so every file written from it (CSV,
    data.json, the report) leaves the same data out, each item replaced by the marker of its
    category (Art. 15(4)), in the request's language.
    """
    with translation.override(request.language):  # the markers are in the person's language
        markers = {key: str(text) for key, text in WITHHELD_MARKERS.items()}
    # As they go into a JSON string (what a system withheld is replaced in the stored lines).
    in_json = {key: json.dumps(text, ensure_ascii=False)[1:-1] for key, text in markers.items()}
    redactions = [
        (system, text, markers.get(category, markers["third_party"]))
        for system, text, category in request.redactions.values_list("system", "text", "category")
    ]
    redacts = {
        system: redactor([(t, m) for s, t, m in redactions if s in ("", system)])
        for system in {s for s, _, _ in redactions} | {""}
    }

    grouped: dict[tuple[str, str], list[Any]] = {}
    parts = (
        ExportPart.objects.filter(
            job__request=request,
            job__action="export",
            job__status=JobStatus.SUCCEEDED,
            media_type="application/jsonl",
        )
        .select_related("job")
        .order_by("job__system", "category", "sequence")
    )
    for part in parts:
        if part.attempt != part.job.runs:
            continue  # a page left by a run that did not finish
        part.redact = redacts.get(part.job.system, redacts[""])  # type: ignore[attr-defined]  # read by read_records
        part.markers = in_json  # type: ignore[attr-defined]  # read by read_records
        grouped.setdefault((part.job.system, part.category), []).append(part)
    return grouped


def redactor(redactions: list[tuple[str, str]]) -> Callable[[Any], Any] | None:
    """A function that replaces every occurrence of the texts (any case) in a record's values
    by the marker given with each: ``(text, marker)``, the longest text first."""
    markers: dict[str, str] = {}
    for text, shown in redactions:
        if text.strip():
            markers.setdefault(text, shown)
    if not markers:
        return None
    ordered = sorted(markers, key=len, reverse=True)
    pattern = re.compile(
        "|".join(f"(?P<r{n}>{re.escape(text)})" for n, text in enumerate(ordered)), re.IGNORECASE
    )
    by_group = {f"r{n}": markers[text] for n, text in enumerate(ordered)}

    def marker(match: re.Match[str]) -> str:
        return by_group[str(match.lastgroup)]

    def redact(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(marker, value)
        if isinstance(value, dict):
            return {key: redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [redact(item) for item in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
            return pattern.sub(marker, text) if pattern.search(text) else value
        return value

    return redact
