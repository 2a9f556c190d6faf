"""Uploads (identity documents, evidence of authority): checked, encrypted, deleted on time."""

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dsr.core import audit
from dsr.core.crypto import FileTampered, Owner, seal, unseal
from dsr.models import AuditKind, FileKind, RequestFile, SubjectRequest

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
    # The row first: its id is sealed into the file, so the file cannot pass for another's;
    # one transaction, so no row is left without its file if the storage fails.
    with transaction.atomic():
        file = RequestFile.objects.create(
            request=request,
            kind=kind,
            content_type=content_type,
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
            document_type=document_type,
        )
        file.storage_name = default_storage.save(
            f"requests/{uuid.uuid4().hex}.bin",
            ContentFile(seal(upload.content, owner=Owner("upload", file.pk))),
        )
        file.save(update_fields=["storage_name"])
        return file


def read_file(file: RequestFile) -> bytes:
    """The upload's clear bytes; FileRefused (logged, audited) if the stored file is not the
    one this row owns, whole and unaltered."""
    try:
        with default_storage.open(file.storage_name, "rb") as handle:
            data = unseal(handle.read(), owner=Owner("upload", file.pk))
        if len(data) != file.size:
            raise FileTampered("the stored file has another size")
        # Files stored before the hash was recorded have none (their size is checked).
        if file.sha256 and hashlib.sha256(data).hexdigest() != file.sha256:
            raise FileTampered("the stored file has another SHA-256")
    except FileTampered as exc:
        raise refused(Owner("upload", file.pk), file.request_id, str(exc)) from exc
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
    """Delete stored uploads no row refers to (their transaction rolled back)."""
    import datetime as dt

    known = set(RequestFile.objects.exclude(storage_name="").values_list("storage_name", flat=True))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    try:
        _, names = default_storage.listdir("requests")
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"requests/{name}"
        if path in known:
            continue
        try:
            modified = default_storage.get_modified_time(path)
        except (FileNotFoundError, NotImplementedError):
            continue
        if modified < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed


def purge_id_documents(request: SubjectRequest) -> None:
    """Identity documents never outlive the request they were sent for (LEGAL.md §3)."""
    for file in request.files.filter(kind=FileKind.ID_DOCUMENT, deleted_at__isnull=True):
        delete_file(file)
