"""Reading the encrypted export pages a job stored: one record at a time."""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.files.storage import default_storage

from dsr.core.crypto import decrypt_bytes
from dsr.models import ExportPart, JobStatus, SubjectRequest


def read_records(part: Any) -> Iterator[dict[str, Any]]:
    """A page's records, with the officer's redactions applied (see ``parts_by_category``)."""
    redact = getattr(part, "redact", None)
    with default_storage.open(part.storage_name, "rb") as handle:
        text = decrypt_bytes(handle.read()).decode()
    for line in text.splitlines():
        if line:
            record = json.loads(line)
            yield redact(record) if redact else record


def parts_by_category(request: SubjectRequest) -> dict[tuple[str, str], list[Any]]:
    """(system, category) -> its pages, in order; only the finished run of each export.

    Each page carries the redaction for its system, so every file written from it (CSV,
    data.json, the report) leaves the same third-party data out.
    """
    redactions = list(request.redactions.values_list("system", "text"))
    redacts = {
        system: redactor([t for s, t in redactions if s in ("", system)])
        for system in {s for s, _ in redactions} | {""}
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
        grouped.setdefault((part.job.system, part.category), []).append(part)
    return grouped


REDACTED = "[REDACTED]"


def redactor(texts: list[str]) -> Callable[[Any], Any] | None:
    """A function that takes every occurrence of the texts (any case) out of a record's values."""
    texts = [t for t in texts if t.strip()]
    if not texts:
        return None
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(texts), key=len, reverse=True)), re.IGNORECASE
    )

    def redact(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(REDACTED, value)
        if isinstance(value, dict):
            return {key: redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [redact(item) for item in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
            return pattern.sub(REDACTED, text) if pattern.search(text) else value
        return value

    return redact
