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
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from connectors.registry import systems as configured
from dsr.core.crypto import FileTampered, decrypt_stream, encrypt_stream
from dsr.core.files import owner_of, refused
from dsr.exports import portability, report
from dsr.exports.names import data_file
from dsr.exports.records import parts_by_category, read_page
from dsr.exports.report import described, render
from dsr.exports.values import label_text
from dsr.models import AnswerPackage, JobStatus, SubjectRequest, Withholding
from dsr.rights import Right

# Excel on Windows reads a CSV without it in the local code page, garbling every non-ASCII
# character; other tools may show it as a stray character. Hence a setting (DSR_CSV_BOM).
BOM = "\ufeff".encode()

# Deflate's fastest level: the CSV and JSON of records repeat themselves, so level 1 makes
# them as small as level 6 does (within 1 %) in a third to half of the time.
DEFLATE_LEVEL = 1
COPY_BLOCK = 1024 * 1024

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
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    scratch = scratch_dir()
    with tempfile.TemporaryFile(dir=scratch) as clear:
        with (
            zipfile.ZipFile(
                clear, "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL
            ) as archive,
            ExitStack() as bodies,
        ):
            # One pass over the pages: each is decrypted and read once, its records written
            # to the category's CSV and JSON at the same time (scratch files: a ZIP takes one
            # entry at a time), the first few kept for the report.
            written: dict[tuple[str, str], _Category] = {}
            for (system, category), parts in grouped.items():
                rule = rules.get((system, category))
                if rule is not None and not rule.included:
                    continue
                body = _Category(bodies, scratch, rule)
                body.read(parts, keep=report.TABLE_ROWS + 1 if not portability_only else 0)
                samples[(system, category)] = body.sample
                if rule is not None:
                    left_out[(system, category)] = body.left_out
                if not body.kept:  # every field inferred: nothing of it is portable
                    continue
                written[(system, category)] = body
                columns[(system, category)] = body.kept
            for (system, category), body in written.items():
                name = data_file(system, category)
                while name in files:  # two names that differ only in what was cleaned away
                    name = name.removesuffix(".csv") + "_.csv"
                files[name] = body.write_csv(archive, name)
                counts.setdefault(system, {})[category] = body.records
            files["data.json"] = _write_json(archive, request, written)
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
                    archive, "report.pdf", render(request, manifest, grouped, samples=samples)
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
        # The file first, sealed to a UUID the row keeps; then the row, in a short
        # transaction: no database lock is held while the package is encrypted and stored.
        file_id = uuid.uuid4()
        package = AnswerPackage(
            request=request,
            size=size,
            records=sum(sum(c.values()) for c in counts.values()),
            manifest=manifest,
            file_id=file_id,
        )
        reader = _HashingReader(clear)
        with tempfile.TemporaryFile(dir=scratch) as sealed:
            encrypt_stream(reader, sealed, owner=owner_of(package, "package"))  # type: ignore[arg-type]  # reads like a file
            sealed.seek(0)
            package.sha256 = reader.digest.hexdigest()
            package.storage_name = default_storage.save(
                f"packages/{file_id.hex}.zip.enc", File(sealed)
            )
    try:
        with transaction.atomic():
            # One package per request: a second build that raced this one keeps the first.
            SubjectRequest.objects.select_for_update().filter(pk=request.pk).first()
            existing = request.packages.filter(deleted_at__isnull=True).first()
            if existing is None:
                package.save(force_insert=True)
                return package
    except BaseException:
        default_storage.delete(package.storage_name)
        raise
    default_storage.delete(package.storage_name)
    return existing


class _HashingReader:
    """Reads a file, hashing what it reads (the clear ZIP is hashed as it is encrypted)."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source, self.digest = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.digest.update(block)
        return block


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


class _Category:
    """One category's CSV body and JSON records, written in one pass over its pages into two
    scratch files; the header comes last, when every column is known (in the order they
    first appear, as the records have them)."""

    def __init__(self, bodies: ExitStack, scratch: Path, rule: portability.Rule | None) -> None:
        self.rule = rule
        # Closed by the ExitStack, when the package is written.
        self.csv = bodies.enter_context(tempfile.TemporaryFile(dir=scratch))  # noqa: SIM115
        self.json = bodies.enter_context(tempfile.TemporaryFile(dir=scratch))  # noqa: SIM115
        self.columns: dict[str, None] = {}
        self.kept: list[str] = []
        self.records = 0
        self.short_rows = 0  # rows written before a later record brought a new column
        self.sample: list[dict[str, Any]] = []

    @property
    def left_out(self) -> list[str]:
        return [c for c in self.columns if c not in self.kept]

    def read(self, parts: list[Any], *, keep: int) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        rule, kept, known = self.rule, self.kept, self.columns.keys()
        keys = set(kept)
        start = FORMULA_START
        first = True
        for part in parts:
            lines, records = read_page(part)
            if len(self.sample) < keep:
                self.sample.extend(records[: keep - len(self.sample)])
            rows: list[list[Any]] = []
            for record in records:
                if not record.keys() <= known:
                    self.columns.update(dict.fromkeys(record))
                    kept[:] = [c for c in self.columns if rule is None or rule.keeps(c)]
                    keys = set(kept)
                    self.short_rows = self.records + len(rows)
                # Text as it is unless a spreadsheet would run it; None (an empty cell) and
                # whole numbers >= 0 as csv.writer writes them; the rest as neutralise does.
                rows.append(
                    [
                        ("'" + v if v.startswith(start) else v)
                        if v.__class__ is str
                        else v
                        if v is None or (v.__class__ is int and v >= 0)
                        else neutralise(v)
                        for v in map(record.get, kept)
                    ]
                )
            writer.writerows(rows)
            self.csv.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
            if lines is None or rule is not None:
                if rule is not None:  # the fields it keeps, as each record has them
                    records = [{k: v for k, v in r.items() if k in keys} for r in records]
                lines = [json.dumps(r, ensure_ascii=False) for r in records]
            if lines:  # as stored where nothing changed them: every field, already JSON
                self.json.write((b"" if first else b", ") + ", ".join(lines).encode())
                first = False
            self.records += len(rows)
        self.csv.seek(0)
        self.json.seek(0)

    def write_csv(self, archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
        with archive.open(name, "w", force_zip64=True) as entry:
            hashed = _Hashed(entry)
            if settings.DSR_CSV_BOM:
                hashed.write(BOM)
            head = io.StringIO()
            # The header is as much a cell as any other: a field named like a formula stays
            # text.
            csv.writer(head).writerow([neutralise(column) for column in self.kept])
            hashed.write(head.getvalue().encode())
            if self.short_rows:
                self._padded(hashed)
            else:
                for block in iter(lambda: self.csv.read(COPY_BLOCK), b""):
                    hashed.write(block)
        return {"sha256": hashed.digest.hexdigest(), "bytes": hashed.size, "records": self.records}

    def _padded(self, hashed: "_Hashed") -> None:
        """Rows written before the last column was known get empty cells for the columns
        they lacked (new columns come last, so those cells are at the end)."""
        width = len(self.kept)
        reader = csv.reader(io.TextIOWrapper(self.csv, encoding="utf-8", newline=""))
        out = io.TextIOWrapper(
            hashed,  # type: ignore[type-var]  # a raw writable stream is all it needs
            encoding="utf-8",
            newline="",
        )
        writer = csv.writer(out)
        for row in reader:
            writer.writerow(row + [""] * (width - len(row)))
        out.flush()
        out.detach()


def _write_json(
    archive: zipfile.ZipFile,
    request: SubjectRequest,
    written: dict[tuple[str, str], _Category],
) -> dict[str, Any]:
    """data.json from the categories' JSON records, by system in name order."""
    head = {
        "reference": request.reference,
        "received_on": request.received_on.isoformat(),
        "rights": sorted(request.requested_rights.values_list("right", flat=True)),
    }
    with archive.open("data.json", "w", force_zip64=True) as entry:
        hashed = _Hashed(entry)
        hashed.write(b'{"request": ' + json.dumps(head).encode() + b', "systems": {')
        first_system = True
        for system in sorted({s for s, _ in written}):
            hashed.write((b"" if first_system else b", ") + json.dumps(system).encode() + b": {")
            first_system = False
            first_category = True
            for (owner, category), body in written.items():
                if owner != system:
                    continue
                hashed.write(
                    (b"" if first_category else b", ") + json.dumps(category).encode() + b": ["
                )
                first_category = False
                for block in iter(lambda: body.json.read(COPY_BLOCK), b""):  # noqa: B023  # read at once
                    hashed.write(block)
                hashed.write(b"]")
            hashed.write(b"}")
        hashed.write(b"}}")
    return {"sha256": hashed.digest.hexdigest(), "bytes": hashed.size}


def _decrypted(package: AnswerPackage) -> Iterator[bytes]:
    with default_storage.open(package.storage_name, "rb") as handle:
        yield from decrypt_stream(handle, owner=owner_of(package, "package"))  # type: ignore[arg-type]  # a File reads like one


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
        raise refused(owner_of(package, "package"), package.request_id, str(exc)) from exc
    return _decrypted(package)
