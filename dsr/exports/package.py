"""The answer package: a ZIP of the subject's data, streamed page by page, stored encrypted.

    data/<system>/<category>.csv   UTF-8, header row, one row per record, formulas neutralised
    data.json                      the same data, machine-readable
    schema.json                    the JSON Schema data.json follows
    manifest.json                  every file with its SHA-256, and what each system returned
                                   (Art. 20: also what is ``included`` and ``excluded``, why)
    README.txt                     what each file is, in the request's language

A portability answer (Art. 20) holds what ``dsr.exports.portability`` lets in; whether the
answer says "no personal data" depends on what the systems found, never on what it holds.
Memory holds one page of records at a time, whatever the number of rows.
"""

import csv
import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from connectors.registry import systems as configured
from dsr.core.crypto import FileTampered, Owner, decrypt_stream, encrypt_stream
from dsr.core.files import refused
from dsr.exports import portability
from dsr.exports.names import data_file
from dsr.exports.records import parts_by_category, read_records
from dsr.exports.report import described, render
from dsr.exports.values import label_text
from dsr.models import AnswerPackage, JobStatus, SubjectRequest, Withholding
from dsr.rights import Right

# Excel on Windows reads a CSV without it in the local code page, garbling every non-ASCII
# character; other tools may show it as a stray character. Hence a setting (DSR_CSV_BOM).
BOM = "\ufeff".encode()

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Personal data held about the requester",
    "type": "object",
    "required": ["request", "systems"],
    "properties": {
        "request": {
            "type": "object",
            "required": ["reference", "received_on", "rights"],
            "properties": {
                "reference": {"type": "string"},
                "received_on": {"type": "string", "format": "date"},
                "rights": {"type": "array", "items": {"type": "string"}},
            },
        },
        "systems": {
            "type": "object",
            "description": "System name -> data category -> records.",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
}


def neutralise(value: Any) -> str:
    """A cell's text, safe to open in a spreadsheet."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Hashed(io.RawIOBase):
    """Writes through to a ZIP entry, counting bytes and hashing them on the way."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.target.write(chunk)
        return len(chunk)


def _system_outcomes(request: SubjectRequest, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """What each system returned: searched / found / not found / failed / retained."""
    outcomes: dict[str, Any] = {}
    for job in request.jobs.all():
        entry = outcomes.setdefault(
            job.system, {"searched": True, "status": "not found", "records": 0, "categories": {}}
        )
        if job.status == JobStatus.FAILED:
            entry["status"] = "failed"
        elif (
            job.status == JobStatus.SKIPPED
            and job.skipped_reason
            and "does not support" not in job.skipped_reason
            and "No data" not in job.skipped_reason
        ):
            entry.setdefault("skipped", job.skipped_reason)
        if job.result.get("retained"):
            entry["retained"] = job.result["retained"]
        if job.result.get("expired"):
            entry["expired"] = job.result["expired"]
        if job.result.get("past_rule"):
            entry["past_rule"] = job.result["past_rule"]
    for system, categories in counts.items():
        entry = outcomes.setdefault(
            system, {"searched": True, "status": "not found", "records": 0, "categories": {}}
        )
        entry["categories"] = categories
        entry["records"] = sum(categories.values())
        if entry["records"] and entry["status"] != "failed":
            entry["status"] = "found"
    return outcomes


def scratch_dir() -> Path:
    """Where clear files live while they are built or read (never the storage)."""
    scratch = Path(settings.VAR_DIR) / "tmp"
    scratch.mkdir(exist_ok=True)
    return scratch


def withheld_categories(request: SubjectRequest) -> list[str]:
    """Why items are missing from the answer: the officer's redactions and what the systems
    themselves withheld (another person's name in a shared ticket)."""
    found = set(request.redactions.values_list("category", flat=True))
    for result in request.jobs.filter(action="export", status=JobStatus.SUCCEEDED).values_list(
        "result", flat=True
    ):
        found.update((result or {}).get("withheld", ()))
    return sorted(found)


def _redaction_counts(request: SubjectRequest) -> dict[str, int]:
    counts: dict[str, int] = {}
    for system in request.redactions.values_list("system", flat=True):
        counts[system or "*"] = counts.get(system or "*", 0) + 1
    return counts


def build(request: SubjectRequest) -> AnswerPackage:
    """Write the package, encrypt it into storage, and record it. Idempotent per request."""
    existing = request.packages.filter(deleted_at__isnull=True).first()
    if existing is not None:
        return existing
    rights = set(request.requested_rights.values_list("right", flat=True))
    portability_only = Right.PORTABILITY in rights and Right.ACCESS not in rights
    grouped = parts_by_category(request)
    rules = portability.rules(grouped) if portability_only else {}
    # What the systems found, whatever the answer holds: an Art. 20 answer that leaves data
    # out never says that none was found (LEGAL.md §6).
    found: dict[str, dict[str, int]] = {}
    for (system, category), parts in grouped.items():
        found.setdefault(system, {})[category] = sum(p.records for p in parts)
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, int]] = {}
    columns: dict[tuple[str, str], list[str]] = {}
    left_out: dict[tuple[str, str], list[str]] = {}
    scratch = scratch_dir()
    with tempfile.TemporaryFile(dir=scratch) as clear:
        with zipfile.ZipFile(clear, "w", zipfile.ZIP_DEFLATED) as archive:
            for (system, category), parts in grouped.items():
                rule = rules.get((system, category))
                if rule is not None and not rule.included:
                    continue
                header = _header(parts)
                kept = [c for c in header if rule is None or rule.keeps(c)]
                if rule is not None:
                    left_out[(system, category)] = [c for c in header if c not in kept]
                    if not kept:  # every field inferred: nothing of it is portable
                        continue
                columns[(system, category)] = kept
                name = data_file(system, category)
                while name in files:  # two names that differ only in what was cleaned away
                    name = name.removesuffix(".csv") + "_.csv"
                files[name] = _write_csv(archive, name, parts, kept)
                counts.setdefault(system, {})[category] = files[name]["records"]
            files["data.json"] = _write_json(archive, request, grouped, counts, columns)
            files["schema.json"] = _write_bytes(
                archive, "schema.json", json.dumps(SCHEMA, indent=2).encode()
            )
            manifest: dict[str, Any] = {
                "reference": request.reference,
                "created": timezone.now().isoformat(),
                "portability": portability_only,
                "no_personal_data": not any(any(c.values()) for c in found.values()),
                # Said, not hidden: how many items were taken out to protect other people, per
                # system ("*": all). The texts and the officer's reasons stay in the case log.
                "redactions": _redaction_counts(request),
                # Why (Art. 15(4)): the categories, each shown by its marker in the files.
                "withheld": withheld_categories(request),
                "files": files,
                "systems": _system_outcomes(request, found),
            }
            if portability_only:
                # Art. 20: what the answer holds, and what it leaves out with the reason.
                manifest["included"] = [
                    portability.included_entry(system, category, rules[(system, category)], n)
                    for system, categories in counts.items()
                    for category, n in categories.items()
                ]
                manifest["excluded"] = portability.excluded_entries(
                    rules_by_category=rules,
                    found=found,
                    left_out=left_out,
                    others=_withheld_for_others(request),
                )
            if not portability_only:  # Art. 20 answers are data only, never a PDF
                files["report.pdf"] = _write_bytes(
                    archive, "report.pdf", render(request, manifest, grouped)
                )
            files["README.txt"] = _write_bytes(
                archive,
                "README.txt",
                _readme(request, files, counts, manifest.get("excluded", [])).encode(),
            )
            _write_bytes(
                archive,
                "manifest.json",
                json.dumps(manifest, indent=2, ensure_ascii=False).encode(),
            )
        size = clear.tell()
        clear.seek(0)
        digest = hashlib.sha256()
        for block in iter(lambda: clear.read(1024 * 1024), b""):
            digest.update(block)
        clear.seek(0)
        # The row first, in one transaction with the file: its id is sealed into the file, so
        # the file cannot pass for another package's (a failed save leaves no row behind).
        with transaction.atomic():
            package = AnswerPackage.objects.create(
                request=request,
                size=size,
                sha256=digest.hexdigest(),
                records=sum(sum(c.values()) for c in counts.values()),
                manifest=manifest,
            )
            with tempfile.TemporaryFile(dir=scratch) as sealed:
                encrypt_stream(clear, sealed, owner=_owner(package))
                sealed.seek(0)
                package.storage_name = default_storage.save(
                    f"packages/{uuid.uuid4().hex}.zip.enc", File(sealed)
                )
            package.save(update_fields=["storage_name"])
            return package


def _withheld_for_others(request: SubjectRequest) -> dict[str, int]:
    """Items left out to protect other people (Art. 20(4)), per system: the officer's
    redactions ("*": every system) and what the systems withheld themselves."""
    items: dict[str, int] = {}
    for system in request.redactions.filter(category=Withholding.THIRD_PARTY).values_list(
        "system", flat=True
    ):
        items[system or "*"] = items.get(system or "*", 0) + 1
    for job in request.jobs.filter(action="export", status=JobStatus.SUCCEEDED):
        if "third_party" in (job.result or {}).get("withheld", ()):
            items.setdefault(job.system, 0)
    return items


def _readme(
    request: SubjectRequest,
    files: dict[str, dict[str, Any]],
    counts: dict[str, dict[str, int]],
    excluded: list[dict[str, Any]],
) -> str:
    """What each file of the package is, in the request's language (plain text)."""
    language = request.language
    with translation.override(language):
        tables = []
        for system, categories in sorted(counts.items()):
            config = configured().get(system)
            for category, records in categories.items():
                _, label = described(system, category)
                tables.append(
                    {
                        "file": data_file(system, category),
                        "system": config.name_for(language) if config else system,
                        "category": label_text(label, language) or category,
                        "records": records,
                    }
                )
        return render_to_string(
            "reports/package_readme.txt",
            {
                "request": request,
                "report": "report.pdf" in files,
                "tables": tables,
                "bom": settings.DSR_CSV_BOM,
                "portability": "report.pdf" not in files,
                "left_out": portability.explained(excluded, language),
            },
        )


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict[str, Any]:
    with archive.open(name, "w") as entry:
        hashed = _Hashed(entry)
        hashed.write(data)
    return {"sha256": hashed.digest.hexdigest(), "bytes": hashed.size}


def _header(parts: list[Any]) -> list[str]:
    """Every field of a category's records, in the order they first appear (keys only, read
    page by page)."""
    header: dict[str, None] = {}
    for part in parts:
        for record in read_records(part):
            header.update(dict.fromkeys(record))
    return list(header)


def _write_csv(
    archive: zipfile.ZipFile, name: str, parts: list[Any], columns: list[str]
) -> dict[str, Any]:
    rows = 0
    with archive.open(name, "w", force_zip64=True) as entry:
        hashed = _Hashed(entry)
        text = io.TextIOWrapper(
            hashed,  # type: ignore[type-var]  # a raw writable stream is all it needs
            encoding="utf-8",
            newline="",
            write_through=True,
        )
        if settings.DSR_CSV_BOM:
            hashed.write(BOM)
        writer = csv.writer(text)
        # The header is as much a cell as any other: a field named like a formula stays text.
        writer.writerow([neutralise(column) for column in columns])
        for part in parts:
            for record in read_records(part):
                writer.writerow([neutralise(record.get(c)) for c in columns])
                rows += 1
        text.flush()
        text.detach()
    return {"sha256": hashed.digest.hexdigest(), "bytes": hashed.size, "records": rows}


def _write_json(
    archive: zipfile.ZipFile,
    request: SubjectRequest,
    grouped: dict[tuple[str, str], list[Any]],
    counts: dict[str, dict[str, int]],
    columns: dict[tuple[str, str], list[str]],
) -> dict[str, Any]:
    """The categories in ``counts``, each record with the fields in ``columns`` only."""
    head = {
        "reference": request.reference,
        "received_on": request.received_on.isoformat(),
        "rights": sorted(request.requested_rights.values_list("right", flat=True)),
    }
    with archive.open("data.json", "w", force_zip64=True) as entry:
        hashed = _Hashed(entry)
        hashed.write(b'{"request": ' + json.dumps(head).encode() + b', "systems": {')
        first_system = True
        for system in sorted({s for s, _ in grouped if s in counts}):
            hashed.write((b"" if first_system else b", ") + json.dumps(system).encode() + b": {")
            first_system = False
            first_category = True
            for (owner, category), parts in grouped.items():
                if owner != system or category not in counts[system]:
                    continue
                kept = set(columns[(owner, category)])
                hashed.write(
                    (b"" if first_category else b", ") + json.dumps(category).encode() + b": ["
                )
                first_category = False
                first_record = True
                for part in parts:
                    for record in read_records(part):
                        record = {k: v for k, v in record.items() if k in kept}
                        hashed.write(
                            (b"" if first_record else b", ")
                            + json.dumps(record, ensure_ascii=False).encode()
                        )
                        first_record = False
                hashed.write(b"]")
            hashed.write(b"}")
        hashed.write(b"}}")
    return {"sha256": hashed.digest.hexdigest(), "bytes": hashed.size}


def _owner(package: AnswerPackage) -> Owner:
    return Owner("package", package.pk)


def _decrypted(package: AnswerPackage) -> Iterator[bytes]:
    with default_storage.open(package.storage_name, "rb") as handle:
        yield from decrypt_stream(handle, owner=_owner(package))  # type: ignore[arg-type]  # a File reads like one


def read_package(package: AnswerPackage) -> Iterator[bytes]:
    """The clear ZIP, chunk by chunk (for the download and for tests).

    The whole file is checked first (each chunk sealed to this package, then the size and
    SHA-256 recorded when it was built), so nothing of a swapped, cut or spliced file goes
    out: FileRefused, logged and in the audit chain. The second pass checks every chunk
    again, so a file changed in between breaks off the download rather than passing.
    """
    digest, size = hashlib.sha256(), 0
    try:
        for block in _decrypted(package):
            digest.update(block)
            size += len(block)
        if size != package.size:
            raise FileTampered("the stored package has another size")
        if digest.hexdigest() != package.sha256:
            raise FileTampered("the stored package has another SHA-256")
    except FileTampered as exc:
        raise refused(_owner(package), package.request_id, str(exc)) from exc
    return _decrypted(package)
