"""Stored files are sealed to a UUID their row keeps, written before the row is inserted in a
short transaction of its own; files sealed to the row's id still open; what a failed insert or
a crash leaves in the storage goes (issue 18)."""

import csv
import io
import json
import os
import time
import uuid
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from dsr.core.crypto import MAGIC_V2, MAGIC_V3, FileTampered, Owner, seal, unseal
from dsr.core.files import Upload, purge_orphans, read_file, store_upload
from dsr.exports import package
from dsr.exports.package import read_package
from dsr.exports.records import parts_by_category, read_records
from dsr.models import AnswerPackage, ConnectorJob, ExportPart, FileKind, RequestFile
from dsr.processing.outcomes import store_part
from tests.factories import submit

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4 Erika's passport"
SAVES: list[tuple[str, bool]] = []  # (name, whether a transaction was open)
OPENS: list[str] = []


class WatchedStorage(FileSystemStorage):
    """The file system storage, noting each write (and whether a transaction was open during
    it) and each read."""

    def _save(self, name, content):
        SAVES.append((name, connection.in_atomic_block))
        return super()._save(name, content)  # type: ignore[misc]  # FileSystemStorage has it

    def open(self, name, mode="rb"):
        OPENS.append(name)
        return super().open(name, mode)


@pytest.fixture
def watched(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.WatchedStorage",
            "OPTIONS": settings.STORAGES["default"].get("OPTIONS", {}),
        },
    }
    SAVES.clear()
    OPENS.clear()
    yield
    SAVES.clear()
    OPENS.clear()


def _stored(name):
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _replace(name, data):
    default_storage.delete(name)
    default_storage.save(name, ContentFile(data))


def _job(item, system="shop"):
    return ConnectorJob.objects.create(
        request=item, system=system, action="export", status="succeeded", runs=1
    )


def _page(job, records, sequence=0, category="orders"):
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return store_part(
        job,
        category=category,
        payload=lines.encode(),
        records=len(records),
        attempt=1,
        sequence=sequence,
    )


def test_a_file_sealed_to_a_uuid_opens_only_for_that_uuid_and_kind():
    file_id = uuid.uuid4()
    sealed = seal(b"records", owner=Owner("export_part", None, file_id))
    assert sealed.startswith(MAGIC_V3)
    # The row's id, whatever it turns out to be, plays no part.
    assert unseal(sealed, owner=Owner("export_part", 7, file_id)) == b"records"
    for other in (
        Owner("export_part", 7, uuid.uuid4()),
        Owner("upload", 7, file_id),
        Owner("export_part", 7),  # a row sealed to its id cannot take a UUID-sealed file
    ):
        with pytest.raises(FileTampered):
            unseal(sealed, owner=other)
    # Nor can a row with a UUID take another row's file sealed to that row's id.
    by_id = seal(b"records", owner=Owner("export_part", 8))
    assert by_id.startswith(MAGIC_V2)
    with pytest.raises(FileTampered):
        unseal(by_id, owner=Owner("export_part", 7, file_id))


def test_every_stored_file_is_written_before_its_row_with_no_transaction_open(watched):
    item = submit()
    upload = store_upload(request=item, kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    part = _page(_job(item), [{"id": 1, "item": "Koffer"}])
    built = package.build(item)

    for row, folder in ((upload, "requests"), (part, "exports"), (built, "packages")):
        row.refresh_from_db()
        assert row.file_id is not None
        assert row.storage_name.startswith(folder + "/")
        assert row.file_id.hex in row.storage_name
        assert _stored(row.storage_name).startswith(MAGIC_V3)
    written = dict(SAVES)
    assert written[upload.storage_name] is False
    assert written[part.storage_name] is False
    assert written[built.storage_name] is False
    assert read_file(upload) == PDF
    assert list(read_records(part)) == [{"id": 1, "item": "Koffer"}]
    assert zipfile.ZipFile(io.BytesIO(b"".join(read_package(built)))).testzip() is None


def test_files_sealed_to_the_rows_id_still_open():
    """Stored before issue 18: sealed to the row's id, the row has no UUID."""
    item = submit()
    upload = store_upload(request=item, kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    part = _page(_job(item), [{"id": 1, "item": "Koffer"}])
    built = package.build(item)
    clear = b"".join(read_package(built))
    _replace(upload.storage_name, seal(PDF, owner=Owner("upload", upload.pk)))
    payload = json.dumps({"id": 1, "item": "Koffer"}).encode()
    _replace(part.storage_name, seal(payload, owner=Owner("export_part", part.pk)))
    _replace(built.storage_name, seal(clear, owner=Owner("package", built.pk)))
    for model, row in ((RequestFile, upload), (ExportPart, part), (AnswerPackage, built)):
        model.objects.filter(pk=row.pk).update(file_id=None)
        row.refresh_from_db()

    assert read_file(upload) == PDF
    assert list(read_records(part)) == [{"id": 1, "item": "Koffer"}]
    assert b"".join(read_package(built)) == clear


def test_a_row_that_cannot_be_inserted_leaves_no_file_behind():
    item = submit()
    before = _all_stored()
    with pytest.raises(Exception):  # noqa: B017, PT011  # the database's own error
        store_upload(request=item, kind=None, upload=Upload(PDF))
    assert not RequestFile.objects.exists()
    assert _all_stored() == before


def test_files_no_row_refers_to_are_purged_once_they_are_old(settings):
    item = submit()
    upload = store_upload(request=item, kind=FileKind.ID_DOCUMENT, upload=Upload(PDF))
    part = _page(_job(item), [{"id": 1}])
    built = package.build(item)
    orphans = [
        default_storage.save(f"requests/{uuid.uuid4().hex}.bin", ContentFile(b"x")),
        default_storage.save(f"exports/{item.pk}/99/{uuid.uuid4().hex}.enc", ContentFile(b"x")),
        default_storage.save(f"packages/{uuid.uuid4().hex}.zip.enc", ContentFile(b"x")),
    ]
    fresh = default_storage.save(f"packages/{uuid.uuid4().hex}.zip.enc", ContentFile(b"x"))
    old = time.time() - 2 * 3600
    for name in [*orphans, upload.storage_name, part.storage_name, built.storage_name]:
        os.utime(default_storage.path(name), (old, old))

    assert purge_orphans() == 3

    for name in orphans:
        assert not default_storage.exists(name)
    for name in (fresh, upload.storage_name, part.storage_name, built.storage_name):
        assert default_storage.exists(name)


def test_each_export_page_is_read_once_for_the_whole_package(watched):
    item = submit()
    job = _job(item)
    pages = [_page(job, [{"id": n, "item": f"Order {n}"}], sequence=n) for n in range(3)]
    OPENS.clear()

    package.build(item)

    assert sorted(name for name in OPENS if name.startswith("exports/")) == sorted(
        p.storage_name for p in pages
    )


def test_a_column_that_appears_on_a_later_page_is_in_the_header_and_padded_before():
    item = submit()
    job = _job(item)
    _page(job, [{"id": 1, "item": "Koffer"}, {"id": 2, "item": "=1+1"}], sequence=0)
    _page(job, [{"id": 3, "item": "Tasche", "gift_note": "Alles Gute"}], sequence=1)
    _page(job, [{"item": "Schirm", "id": 4}], sequence=2)

    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(package.build(item)))))

    text = archive.read("data/shop/orders.csv").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "item", "gift_note"],
        ["1", "Koffer", ""],
        ["2", "'=1+1", ""],
        ["3", "Tasche", "Alles Gute"],
        ["4", "Schirm", ""],
    ]
    data = json.loads(archive.read("data.json"))
    assert data["systems"]["shop"]["orders"] == [
        {"id": 1, "item": "Koffer"},
        {"id": 2, "item": "=1+1"},
        {"id": 3, "item": "Tasche", "gift_note": "Alles Gute"},
        {"item": "Schirm", "id": 4},
    ]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"]["data/shop/orders.csv"]["records"] == 4
    assert manifest["systems"]["shop"]["records"] == 4
    assert len(list(read_records(parts_by_category(item)[("shop", "orders")][0]))) == 2


def _all_stored():
    found: set[str] = set()

    def walk(folder):
        try:
            folders, names = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.update(f"{folder}/{n}" for n in names)
        for sub in folders:
            walk(f"{folder}/{sub}")

    for top in ("requests", "exports", "packages"):
        walk(top)
    return found
