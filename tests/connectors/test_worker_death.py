"""A worker killed in the middle of a job: the job is taken over and done exactly once."""

import os
import signal

import pytest
import yaml

from connectors import registry
from connectors.backends.fake import effects
from dsr.models import JobStatus, Status, SubjectRequest
from dsr.processing import start
from dsr.services import verification
from tests.factories import submit
from tests.fixtures.celery import wait_for
from tests.helpers import code_in

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_job_survives_its_worker_being_killed(worker_process, outbox, settings, tmp_path):
    from dsr.celery import app

    # Verified with no system configured (e-mails sent here, in the test), then the system.
    app.conf.task_always_eager = True
    settings.DSR_CONNECTORS = {}
    item = submit(right="objection", details={"kind": "direct_marketing"})
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    app.conf.task_always_eager = False

    state = tmp_path / "fake"
    config = tmp_path / "connectors.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    "shop": {
                        "backend": "connectors.backends.fake.FakeConnector",
                        "options": {"state_dir": str(state), "slow": 4},
                    }
                }
            }
        )
    )
    settings.DSR_CONNECTORS_FILE = str(config)
    settings.DSR_JOB_LEASE_SECONDS = 3
    registry.reset()
    worker = worker_process(DSR_CONNECTORS_FILE=str(config), DSR_JOB_LEASE_SECONDS="3")
    start.start_processing(SubjectRequest.objects.get(pk=item.pk))
    job = item.jobs.get()
    wait_for(lambda: job.__class__.objects.get(pk=job.pk).status == JobStatus.RUNNING, timeout=60)
    children = worker.children()
    assert children, "the worker has no pool process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)  # mid-job: the fake system is still "working"

    wait_for(lambda: job.__class__.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED, timeout=90)
    job.refresh_from_db()
    assert job.attempts == 2
    assert [e["action"] for e in effects(state)] == ["object"]  # done exactly once
    wait_for(lambda: SubjectRequest.objects.get(pk=item.pk).status == Status.IN_REVIEW)
