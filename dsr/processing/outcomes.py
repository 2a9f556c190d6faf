"""Storing what a backend returned: encrypted export pages, kept records to erase later."""

import json
import uuid
from typing import Any

from django.core.files.storage import default_storage

from connectors.base import (
    WITHHELD,
    ErasureResult,
    SubjectIdentity,
)
from dsr.core.files import insert_or_delete_file, owner_of, write_sealed
from dsr.models import (
    ConnectorJob,
    ExportPart,
    ScheduledErasure,
)


def store_export(job: ConnectorJob, pages: Any) -> dict[str, Any]:
    """Write each page encrypted to storage as it arrives: memory holds one page at a time."""
    attempt = ConnectorJob.objects.values_list("runs", flat=True).get(pk=job.pk)
    for part in job.parts.exclude(attempt=attempt):  # leftovers of an earlier, crashed run
        default_storage.delete(part.storage_name)
        part.delete()
    categories: dict[str, int] = {}
    expired: dict[str, int] = {}
    withheld: set[str] = set()
    past_rule: dict[str, int] = {}
    sequence = 0
    for page in pages:
        if page.expires_after_hours:
            expired[page.category] = page.expires_after_hours
        if page.past_rule:
            past_rule[page.category] = past_rule.get(page.category, 0) + page.past_rule
        if not page.records:
            continue
        lines = "\n".join(json.dumps(r, default=str, ensure_ascii=False) for r in page.records)
        withheld.update(WITHHELD.findall(lines))  # what the system kept back (Art. 15(4))
        store_part(
            job,
            category=page.category,
            payload=lines.encode(),
            records=len(page.records),
            provided_fields=page.provided_fields,
            inferred_fields=page.inferred_fields,
            legal_basis=page.legal_basis,
            attempt=attempt,
            sequence=sequence,
        )
        sequence += 1
        categories[page.category] = categories.get(page.category, 0) + len(page.records)
    result: dict[str, Any] = {
        "records": sum(categories.values()),
        "categories": categories,
        "parts": sequence,
    }
    if expired:  # categories the system deletes after so many hours: said in the answer
        result["expired"] = expired
    if withheld:
        result["withheld"] = sorted(withheld)
    if past_rule:  # exported records older than that rule, still held: a finding
        result["past_rule"] = past_rule
    return result


def store_part(
    job: ConnectorJob,
    *,
    category: str,
    payload: bytes,
    records: int,
    media_type: str = "application/jsonl",
    provided_fields: tuple[str, ...] | None = None,
    inferred_fields: tuple[str, ...] = (),
    legal_basis: str = "",
    attempt: int | None = None,
    sequence: int | None = None,
) -> ExportPart:
    """Encrypt one page of exported data into storage and note it on the job."""
    if attempt is None:
        attempt = job.runs
    if sequence is None:
        sequence = job.parts.count()
    # The file first, sealed to a UUID the row keeps, then the row in a short transaction of
    # its own: no database lock is held while the storage writes.
    file_id = uuid.uuid4()
    part = ExportPart(
        job=job,
        attempt=attempt,
        sequence=sequence,
        category=category,
        records=records,
        provided_fields=list(provided_fields) if provided_fields else None,
        inferred_fields=list(inferred_fields),
        legal_basis=legal_basis[:40],
        media_type=media_type,
        file_id=file_id,
    )
    part.storage_name = write_sealed(
        f"exports/{job.request_id}/{job.pk}/{file_id.hex}.enc",
        payload,
        owner_of(part, "export_part"),
    )
    insert_or_delete_file(part)
    return part


def store_erasure(
    job: ConnectorJob, subject: SubjectIdentity, erased: ErasureResult
) -> dict[str, Any]:
    for item in erased.retained:
        if item.erase_after is not None:
            ScheduledErasure.objects.get_or_create(
                request=job.request,
                system=job.system,
                what=item.what[:300],
                erase_after=item.erase_after,
                location=item.location,
                defaults={
                    "legal_basis": item.legal_basis[:300],
                    "keys": list(item.keys),
                },
            )
    return erasure_data(erased)


def erasure_data(erased: ErasureResult) -> dict[str, Any]:
    """An erasure's outcome (or its preview) as the job keeps it: counts and kept groups, each
    with its basis and end date; no personal data."""
    return {
        "erased": erased.erased,
        "anonymised": erased.anonymised,
        "retained": [
            {
                "what": item.what,
                "legal_basis": item.legal_basis,
                "statute": item.statute,
                "erase_after": item.erase_after.isoformat() if item.erase_after else None,
                "records": item.records,
                **({"needed_for": item.needed_for} if item.needed_for else {}),
            }
            for item in erased.retained
        ],
    }
