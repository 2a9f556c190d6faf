"""A system without an API: the owner gets a signed task, uploads or confirms, is reminded."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from connectors import registry
from dsr.models import ExportPart, JobStatus, ManualTask, Status, SubjectRequest
from dsr.processing import manual
from dsr.services import verification, withdrawal
from tests.factories import make_officer, submit
from tests.helpers import code_in, path_of

pytestmark = pytest.mark.django_db(transaction=True)

OWNER = "archive-owner@telekom.example"


@pytest.fixture
def archive(settings):
    settings.DSR_CONNECTORS = {
        "archive": {
            "BACKEND": "connectors.backends.manual.ManualConnector",
            "NAME": "Paper archive Bonn",
            "OWNER_EMAIL": OWNER,
            "OPTIONS": {"instructions": "Cabinet 4, contracts by customer number."},
        }
    }
    registry.reset()
    yield
    registry.reset()


def verified(outbox, right="access", details=None):
    item = submit(right=right, details=details)
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    return SubjectRequest.objects.get(pk=item.pk)


def task_link(outbox):
    message = outbox.last_to(OWNER)
    return path_of(next(u for u in outbox.links(message) if "/systems/tasks/" in u))


def test_the_owner_uploads_a_csv_and_the_request_moves_on(client, archive, outbox):
    item = verified(outbox)
    job = item.jobs.get(action="export")
    assert job.status == JobStatus.WAITING
    message = outbox.last_to(OWNER)
    assert item.reference in message.subject
    assert "Paper archive Bonn" in message.subject
    assert "Cabinet 4" in message.body

    page = client.get(task_link(outbox)).content.decode()
    assert "Export the person&#x27;s data" in page
    assert "erika@example.org" in page
    csv_file = SimpleUploadedFile("erika.csv", b"contract,signed\nDSL 100,2021-04-01\n")
    client.post(task_link(outbox), {"upload": csv_file, "note": "Found one folder."})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["records"] == 1
    assert ExportPart.objects.get(job=job).category == "records"
    item.refresh_from_db()
    assert item.status == Status.IN_REVIEW
    again = client.get(task_link(outbox)).content.decode()
    assert 'id="task-done"' in again


def test_a_broken_file_is_explained_and_nothing_is_recorded(client, archive, outbox):
    item = verified(outbox)
    bad = SimpleUploadedFile("x.json", b'[{"a": 1},')
    page = client.post(task_link(outbox), {"upload": bad}).content.decode()
    assert "The JSON file cannot be read" in page
    assert item.jobs.get(action="export").status == JobStatus.WAITING
    empty = client.post(task_link(outbox), {"note": "?"}).content.decode()
    assert "Please upload the data, or tick that nothing was found." in empty


def test_nothing_found_is_an_answer_too(client, archive, outbox):
    item = verified(outbox)
    client.post(task_link(outbox), {"nothing_found": "on"})
    item.refresh_from_db()
    assert item.status == Status.IN_REVIEW
    assert not ExportPart.objects.exists()


def test_a_forged_or_reused_link_does_not_open_a_task(client, archive, outbox):
    verified(outbox)
    link = task_link(outbox)
    forged = re.sub(r"/tasks/[^:]+", "/tasks/eyJ0Ijo5OTl9", link)
    assert client.get(forged).status_code == 410


def test_owners_are_reminded_and_officers_alerted_before_the_due_date(archive, outbox):
    officer, _ = make_officer()
    item = verified(outbox)
    task = ManualTask.objects.get()
    assert manual.remind_and_escalate() == (0, 0)
    assert manual.remind_and_escalate(now=timezone.now() + timedelta(days=3, hours=1)) == (1, 0)
    assert "Reminder" in outbox.last_to(OWNER).subject
    near_due = timezone.make_aware(
        timezone.datetime.combine(item.due_on - timedelta(days=6), timezone.datetime.min.time())
    )
    _reminded, escalated = manual.remind_and_escalate(now=near_due)
    assert escalated == 1
    alert = outbox.last_to(officer.email)
    assert item.reference in alert.subject
    assert OWNER in alert.body
    assert manual.remind_and_escalate(now=near_due)[1] == 0  # once
    task.refresh_from_db()
    assert task.escalated_at is not None


def test_a_finished_or_withdrawn_task_no_longer_shows_the_person(client, archive, outbox):
    item = verified(outbox)
    link = task_link(outbox)
    withdrawal.withdraw(SubjectRequest.objects.get(pk=item.pk))
    page = client.get(link).content.decode()
    assert "erika@example.org" not in page
    assert 'id="task-closed"' in page
    assert manual.remind_and_escalate(now=timezone.now() + timedelta(days=30)) == (0, 0)
