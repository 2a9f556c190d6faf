"""Uploads (identity documents, evidence of authority): checked, encrypted, deleted on time."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from dsr.core.crypto import decrypt_bytes, encrypt_bytes
from dsr.models import FileKind, RequestFile, SubjectRequest

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
    name = default_storage.save(
        f"requests/{uuid.uuid4().hex}.bin", ContentFile(encrypt_bytes(upload.content))
    )
    return RequestFile.objects.create(
        request=request,
        kind=kind,
        storage_name=name,
        content_type=content_type,
        size=len(upload.content),
        document_type=document_type,
    )


def read_file(file: RequestFile) -> bytes:
    with default_storage.open(file.storage_name, "rb") as handle:
        return decrypt_bytes(handle.read())


def delete_file(file: RequestFile) -> None:
    if file.storage_name:
        default_storage.delete(file.storage_name)
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
