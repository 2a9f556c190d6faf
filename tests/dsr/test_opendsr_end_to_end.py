"""Two portal roles over real HTTP: the controller's webhook system speaks OpenDSR 2.0 to a
processor's endpoint, which answers through its own fan-out, officer and signed callbacks.

What is real here: one Django live server (a threaded HTTP server on 127.0.0.1) serves the
portal, and the same portal is both sides: as controller, its system "partner" is a webhook
system whose URL is this server's ``/opendsr`` endpoint; as processor, the registered
controller "Partner GmbH" (domain ``localhost``, the callbacks' host) may send there, and its
requests are carried out in the system "shop" only. Every request, status read, callback and
results download goes over HTTP, signed, through the egress check; one database holds both
sides' rows (two instances with two databases would need a second process with its own
settings, which the tests' eager Celery cannot share).
"""

import pytest
from django.test import Client
from django.utils import timezone

from connectors import registry
from connectors.webhook import sign
from dsr.models import (
    AnswerPackage,
    Channel,
    JobStatus,
    OpenDSRController,
    OpenDSRRequest,
    Status,
    SubjectRequest,
)
from dsr.services import answers, completion, erasure_approval, jobs, opendsr_inbound, verification
from tests.factories import submit
from tests.helpers import code_in, path_of

pytestmark = pytest.mark.django_db(transaction=True)

ERIKA = "erika@example.org"


@pytest.fixture
def portals(live_server, settings, tmp_path, officer):
    settings.DSR_BASE_URL = live_server.url
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    partner = OpenDSRController(
        name="Partner GmbH", domain="localhost", language="en", systems=["shop"]
    )
    credentials = opendsr_inbound.issue_credentials(partner)
    partner.save()
    partner.credentials = credentials
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": "Shop",
            "OPTIONS": {"state_dir": str(tmp_path / "shop"), "known": [ERIKA]},
        },
        "partner": {
            "BACKEND": "connectors.backends.webhook.WebhookConnector",
            "NAME": "Partner (OpenDSR)",
            "OPTIONS": {
                "url": f"{live_server.url}/opendsr",
                "secret": credentials.secret,
                "token": credentials.token,
                "poll_seconds": 3600,  # only the callbacks move it on
            },
        },
    }
    registry.reset()
    yield partner
    registry.reset()


def processor_side() -> SubjectRequest:
    return SubjectRequest.objects.get(channel=Channel.OPENDSR)


def test_an_access_request_runs_end_to_end_with_callbacks(portals, officer, outbox):
    mine = submit(right="access", email=ERIKA)
    verification.verify_with_code(mine, code_in(outbox.last_to(ERIKA)))

    partner_jobs = {job.action: job for job in mine.jobs.filter(system="partner")}
    # Our processor endpoint does not list "locate": honestly not supported, not "no data".
    assert partner_jobs["locate"].status == JobStatus.SKIPPED
    assert partner_jobs["locate"].skipped_reason == "This system does not support this action."
    assert partner_jobs["export"].status == JobStatus.QUEUED  # sent, and waiting

    theirs = processor_side()
    inbound = OpenDSRRequest.objects.get(request=theirs)
    assert inbound.controller == portals
    assert {job.system for job in theirs.jobs.all()} == {"shop"}
    assert theirs.status == Status.IN_REVIEW  # waiting for the processor's officer
    assert opendsr_inbound.callbacks_sent(inbound) == {"in_progress": 1}

    package = AnswerPackage.objects.get(request=theirs)
    answers.release(package, officer=officer)  # the processor's answer goes out

    theirs.refresh_from_db()
    assert theirs.status == Status.COMPLETED
    assert opendsr_inbound.callbacks_sent(inbound) == {"in_progress": 1, "completed": 1}
    export = mine.jobs.get(system="partner", action="export")
    assert export.status == JobStatus.SUCCEEDED, export.last_error
    # The processor's records came back through the results download into our answer.
    mine.refresh_from_db()
    assert mine.status == Status.IN_REVIEW
    ours = AnswerPackage.objects.get(request=mine)
    assert ours.manifest["systems"]["partner"]["records"] == package.records > 0
    # The results link is the partner's alone, and lives as long as the package.
    url = opendsr_inbound.status_of(inbound)["results_url"]
    other = OpenDSRController(name="Other", domain="other.example")
    other_credentials = opendsr_inbound.issue_credentials(other)
    other.save()

    def download(credentials):
        headers = sign(credentials.secret, b"") | {"Authorization": f"Bearer {credentials.token}"}
        return Client().get(path_of(url), headers=headers)

    assert download(other_credentials).status_code == 410
    forged = Client().get(path_of(url)[:-3] + "abc", headers={})
    assert forged.status_code == 401
    AnswerPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    assert download(portals.credentials).status_code == 410
    # The processor told the person nothing: the controller does (our letters to Erika are
    # the verification code and what follows from our own request).
    assert all("Partner" not in message.body for message in outbox.to(ERIKA))


def test_an_erasure_runs_end_to_end_with_callbacks(portals, officer, outbox, settings):
    mine = submit(right="erasure", email=ERIKA, details={"scope": "all"})
    verification.verify_with_code(mine, code_in(outbox.last_to(ERIKA)))
    # The shop's data is the partner's: we reach it through the partner, not directly.
    direct = mine.jobs.get(system="shop", action="erase")
    jobs.skip_job(direct, officer=officer, reason="Processed for Partner GmbH: asked by OpenDSR.")
    erasure_approval.approve(mine, officer=officer)

    erase = mine.jobs.get(system="partner", action="erase")
    assert erase.status == JobStatus.QUEUED  # sent, and waiting
    theirs = processor_side()
    inbound = OpenDSRRequest.objects.get(request=theirs)
    assert theirs.rights == ["erasure"]
    erasure_approval.approve(theirs, officer=officer)  # the processor's own approval
    theirs.refresh_from_db()
    assert theirs.jobs.get(action="erase").status == JobStatus.SUCCEEDED
    completion.complete(theirs, officer=officer)

    theirs.refresh_from_db()
    assert theirs.status == Status.COMPLETED
    assert opendsr_inbound.callbacks_sent(inbound) == {"in_progress": 1, "completed": 1}
    erase.refresh_from_db()
    assert erase.status == JobStatus.SUCCEEDED, erase.last_error
    erased = theirs.jobs.get(action="erase").result
    assert erase.result["erased"] == erased["erased"] + erased["anonymised"] > 0
    mine.refresh_from_db()
    assert mine.status == Status.IN_REVIEW
