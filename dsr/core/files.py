"""Uploads (identity documents, evidence of authority): checked, encrypted, deleted on time."""

import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dsr.core import audit
from dsr.core.crypto import FileTampered, Owner, seal, unseal
from dsr.models import AnswerPackage, AuditKind, ExportPart, FileKind, RequestFile, SubjectRequest

logger = logging.getLogger(__name__)

# Checked by content, never by the name or the browser's claim.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


class UploadRejected(ValueError):
    """The file is not one we accept; the message is for the person who sent it."""


@dataclass(frozen=True)
class Upload:
    content: bytes

    @property
    def content_type(self) -> str:
        for signature, content_type in SIGNATURES.items():
            if self.content.startswith(signature):
                return content_type
        return ""


def check_upload(upload: Upload) -> str:
    """The upload's content type, or UploadRejected with a message in the active language."""
    if not upload.content:
        raise UploadRejected(_("The file is empty."))
    if len(upload.content) > settings.DSR_UPLOAD_MAX_BYTES:
        raise UploadRejected(
            _("The file is too large. Files may be at most %(size)d MB.")
            % {"size": settings.DSR_UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    if not upload.content_type:
        raise UploadRejected(_("Please upload a PDF, JPEG or PNG file."))
    return upload.content_type


def store_upload(
    *, request: SubjectRequest, kind: str, upload: Upload, document_type: str = ""
) -> RequestFile:
    content_type = check_upload(upload)
    file_id = uuid.uuid4()
    file = RequestFile(
        request=request,
        kind=kind,
        content_type=content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        document_type=document_type,
        file_id=file_id,
    )
    file.storage_name = write_sealed(
        f"requests/{file_id.hex}.bin", upload.content, owner_of(file, "upload")
    )
    insert_or_delete_file(file)
    return file


def owner_of(row: Any, kind: str) -> Owner:
    """The owner a stored file of ``row`` is sealed to: its file UUID, or its id for files
    written before rows had one."""
    return Owner(kind, row.pk, getattr(row, "file_id", None))


def write_sealed(name: str, data: bytes, owner: Owner) -> str:
    """Seal ``data`` to ``owner``'s file UUID and write it to storage (no transaction is
    open for it: the row is inserted afterwards); the name the storage chose."""
    return default_storage.save(name, ContentFile(seal(data, owner=owner)))


def insert_or_delete_file(row: Any) -> None:
    """Insert the row of a file already written, in a short transaction of its own; if that
    fails, the file goes (what a crash leaves between the two, ``purge_orphans`` removes)."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except BaseException:
        default_storage.delete(row.storage_name)
        raise


def read_file(file: RequestFile) -> bytes:
    """The upload's clear bytes; FileRefused (logged, audited) if the stored file is not the
    one this row owns, whole and unaltered."""
    try:
        with default_storage.open(file.storage_name, "rb") as handle:
            data = unseal(handle.read(), owner=owner_of(file, "upload"))
        if len(data) != file.size:
            raise FileTampered("the stored file has another size")
        # Files stored before the hash was recorded have none (their size is checked).
        if file.sha256 and hashlib.sha256(data).hexdigest() != file.sha256:
            raise FileTampered("the stored file has another SHA-256")
    except FileTampered as exc:
        raise refused(owner_of(file, "upload"), file.request_id, str(exc)) from exc
    return data


class FileRefused(Exception):
    """A stored file failed its check and was not served; the message is for the reader."""


def refused(owner: Owner, request_id: int | None, why: str) -> FileRefused:
    """Record that a stored file was refused (log + audit chain) and return the error to raise."""
    logger.error("stored file of %s %s refused: %s", owner.kind, owner.pk, why)
    audit.append(
        AuditKind.FILE_REFUSED,
        request_id=request_id,
        data={"record": owner.kind, "id": owner.pk, "why": why},
    )
    return FileRefused(
        _("This file failed its integrity check and was not delivered. We have been alerted.")
    )


def delete_file(file: RequestFile) -> None:
    """The row says deleted now; the stored file goes once that is committed, so a rollback
    (a rehearsed action, ``dsr.core.rehearsal``) keeps both."""
    name = file.storage_name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
    file.storage_name = ""
    file.deleted_at = timezone.now()
    file.save(update_fields=["storage_name", "deleted_at"])


def purge_orphans(*, older_than_seconds: int = 3600) -> int:
    """Delete stored files no row refers to: uploads, export pages and answer packages whose
    row was never inserted (a crash or a failed insert after the file was written, or a
    transaction that rolled back). Only files older than ``older_than_seconds``: a file just
    written may be waiting for its row."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    removed = 0
    for folder, rows in (
        ("requests", RequestFile.objects),
        ("exports", ExportPart.objects),
        ("packages", AnswerPackage.objects),
    ):
        known = set(rows.exclude(storage_name="").values_list("storage_name", flat=True))
        for path in _stored_under(folder):
            if path in known:
                continue
            try:
                modified = default_storage.get_modified_time(path)
            except (FileNotFoundError, NotImplementedError):
                continue
            # Looked up again: a row may have taken the name since the listing began.
            if modified < cutoff and not rows.filter(storage_name=path).exists():
                default_storage.delete(path)
                removed += 1
    return removed


def _stored_under(folder: str) -> Iterator[str]:
    """Every stored file under ``folder``, at any depth (export pages sit in
    ``exports/<request>/<job>/``)."""
    try:
        folders, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_under(f"{folder}/{sub}")


def purge_id_documents(request: SubjectRequest) -> None:
    """Identity documents never outlive the request they were sent for (LEGAL.md §3)."""
    for file in request.files.filter(kind=FileKind.ID_DOCUMENT, deleted_at__isnull=True):
        delete_file(file)
