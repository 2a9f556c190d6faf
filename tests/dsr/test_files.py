"""Uploads and export pages are sealed to the row that owns them (issue 16)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dsr.core.crypto import FileTampered, Owner, encrypt_bytes, seal, unseal
from dsr.core.files import FileRefused, Upload, read_file, store_upload
from dsr.models import AuditEntry, AuditKind, FileKind
from tests.factories import submit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 Erika's passport"
OTHER_PDF = b"%PDF-1.4 Max's passport"


def _stored(file):
    with default_storage.open(file.storage_name, "rb") as handle:
        return handle.read()


def _replace(name, data):
    default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


def test_an_upload_reads_back_as_it_was_sent():
    item = submit()
    file = store_upload(request=item, kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    assert read_file(file) == PDF
    assert PDF not in _stored(file)


def test_another_persons_upload_put_in_place_is_refused_with_an_audit_entry():
    mine = store_upload(request=submit(), kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    theirs = store_upload(
        request=submit(email="max@example.org"), kind=FileKind.ID_DOCUMENT, upload=Upload(PDF)
    )
    _replace(mine.storage_name, _stored(theirs))  # even the same bytes: another row's file

    with pytest.raises(FileRefused):
        read_file(mine)

    [entry] = AuditEntry.objects.filter(kind=AuditKind.FILE_REFUSED)
    assert entry.request_id == mine.request_id
    assert entry.data == {"record": "upload", "id": mine.pk, "why": entry.data["why"]}


def test_an_upload_whose_hash_differs_from_the_record_is_refused():
    file = store_upload(request=submit(), kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    # A legacy (Fernet) file of the same size, put in place of the sealed one.
    _replace(file.storage_name, encrypt_bytes(OTHER_PDF[: len(PDF)].ljust(len(PDF), b"x")))
    with pytest.raises(FileRefused):
        read_file(file)


def test_an_upload_stored_before_binding_still_reads():
    file = store_upload(request=submit(), kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    _replace(file.storage_name, encrypt_bytes(PDF))  # the Fernet token it was stored as
    type(file).objects.filter(pk=file.pk).update(sha256="")  # and no hash was recorded then
    file.refresh_from_db()
    assert read_file(file) == PDF


def test_a_sealed_file_opens_only_for_its_owner():
    sealed = seal(b"records", owner=Owner("export_part", 7))
    assert unseal(sealed, owner=Owner("export_part", 7)) == b"records"
    for other in (Owner("export_part", 8), Owner("upload", 7)):
        with pytest.raises(FileTampered):
            unseal(sealed, owner=other)
    with pytest.raises(FileTampered):
        unseal(sealed + b"more", owner=Owner("export_part", 7))  # nothing after the last chunk


@pytest.mark.django_db(transaction=True)
def test_the_officer_is_shown_a_refusal_not_another_persons_document(client):
    from django.urls import reverse

    from tests.factories import PASSWORD, make_officer
    from tests.helpers import login_with_totp

    item = submit()
    mine = store_upload(request=item, kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    theirs = store_upload(
        request=submit(email="max@example.org"), kind=FileKind.ID_DOCUMENT, upload=Upload(OTHER_PDF)
    )
    _replace(mine.storage_name, _stored(theirs))
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)

    response = client.get(reverse("staff:case_file", args=[item.reference, mine.pk]))

    assert response.status_code == 409
    assert b"Max" not in response.content
    assert "failed its integrity check" in response.content.decode()
    assert AuditEntry.objects.filter(kind=AuditKind.FILE_REFUSED, request_id=item.pk).exists()
