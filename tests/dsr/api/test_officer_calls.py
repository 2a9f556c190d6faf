"""What an officer key does: write to the requester, upload a manual system's result, fetch
a released answer package; and what the other scopes may not."""

import base64
import io
import zipfile

import pytest
from django.utils import timezone

from connectors import registry
from dsr.exports.package import read_package
from dsr.models import AnswerPackage, CaseMessage, JobStatus, ManualTask, SubjectRequest
from dsr.services import answers, verification
from tests.factories import submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def archive(settings):
    settings.DSR_CONNECTORS = {
        "archive": {
            "BACKEND": "connectors.backends.manual.ManualConnector",
            "NAME": "Paper archive",
            "OWNER_EMAIL": "archive-owner@example.org",
        }
    }
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def shop(settings, tmp_path):
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "fake")},
        }
    }
    registry.reset()
    yield
    registry.reset()


def verified(outbox):
    item = submit(right="access")
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    return SubjectRequest.objects.get(pk=item.pk)


def test_an_officer_key_asks_the_requester_and_the_clock_stops(api, make_key, outbox):
    item = submit(right="access")
    response = api(make_key("officer")).post(
        f"/requests/{item.reference}/messages",
        {"direction": "to_requester", "body": "Which customer account?", "purpose": "scope"},
    )
    assert response.status_code == 201, response.content
    message = CaseMessage.objects.get(pk=response.json()["id"])
    assert message.awaits_answer
    assert SubjectRequest.objects.get(pk=item.pk).paused
    assert outbox.last_to("erika@example.org") is not None
    refused = api(make_key("read")).post(
        f"/requests/{item.reference}/messages", {"direction": "to_requester", "body": "Hello?"}
    )
    assert refused.status_code == 403


def test_an_officer_key_uploads_a_manual_systems_result(api, make_key, archive, outbox):
    item = verified(outbox)
    officer = api(make_key("officer"))
    tasks = officer.get(f"/requests/{item.reference}/tasks").json()
    export = next(t for t in tasks if t["action"] == "export")
    assert export["job_status"] == JobStatus.WAITING
    csv = base64.b64encode(b"contract,signed\nDSL 100,2021-04-01\n").decode()
    done = officer.post(
        f"/requests/{item.reference}/tasks/{export['id']}/result",
        {"note": "One folder.", "filename": "erika.csv", "content_base64": csv},
    )
    assert done.status_code == 200, done.content
    assert done.json()["job_status"] == JobStatus.SUCCEEDED
    job = ManualTask.objects.get(pk=export["id"]).job
    assert job.result["records"] == 1
    again = officer.post(
        f"/requests/{item.reference}/tasks/{export['id']}/result", {"nothing_found": True}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "refused"


def test_an_officer_key_fetches_the_released_package_and_only_that(api, make_key, shop, outbox):
    from accounts.models import User

    item = verified(outbox)
    package = AnswerPackage.objects.get(request=item)
    officer = api(make_key("officer"))
    path = f"/requests/{item.reference}/packages/{package.pk}"
    if package.released_at is None:
        assert officer.get(path).status_code == 404  # nothing leaves before it is released
        answers.release(package, officer=User.objects.get(email="admin@example.org"))
    listed = officer.get(f"/requests/{item.reference}/packages").json()
    assert [p["id"] for p in listed] == [package.pk]
    response = officer.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)
    assert content == b"".join(read_package(AnswerPackage.objects.get(pk=package.pk)))
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert api(make_key("read")).get(path).status_code == 403
    AnswerPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    gone = officer.get(path)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "gone"
