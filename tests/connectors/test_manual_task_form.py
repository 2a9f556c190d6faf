"""The manual task's form, rendered by Django's form renderer: labels, hints and errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.connectors.test_manual import (
    archive,  # noqa: F401 (the fixture, by name)
    task_link,
    verified,
)
from tests.form_markup import by_id, label_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("archive")
def test_the_export_task_asks_for_the_data_file(client, outbox):
    verified(outbox)
    page = client.get(task_link(outbox)).content.decode()
    assert label_for(page, "id_upload") == "The data (CSV with a header row, JSON, or PDF)"
    upload = by_id(page, "id_upload")
    assert upload.attrs["accept"].split(",")[:3] == [".csv", ".json", ".pdf"]
    assert "form-control" in upload.classes
    assert "form-check-input" in by_id(page, "id_nothing_found").classes
    assert label_for(page, "id_note") == "Note for the privacy team"


@pytest.mark.usefixtures("archive")
def test_a_file_that_is_too_large_is_refused_at_the_field(client, outbox, settings):
    verified(outbox)
    settings.DSR_UPLOAD_MAX_BYTES = 10
    big = SimpleUploadedFile("erika.csv", b"contract,signed\nDSL 100,2021-04-01\n")
    page = client.post(task_link(outbox), {"upload": big}).content.decode()
    upload = by_id(page, "id_upload")
    assert upload.attrs["aria-invalid"] == "true"
    assert "id_upload_error" in upload.describedby()
    assert "The file is too large." in by_id(page, "id_upload_error").text
