"""Limits shared by all workers: concurrency and pace per system, one export/erasure per subject."""

import pytest

from connectors.registry import SystemConfig
from dsr.models import ConnectorJob
from dsr.processing import gates
from tests.factories import submit

pytestmark = pytest.mark.django_db


def jobs(*actions, system="crm", email="erika@example.org"):
    item = submit(email=email)
    return [ConnectorJob.objects.create(request=item, system=system, action=a) for a in actions]


def test_a_system_runs_no_more_jobs_than_its_concurrency(outbox):
    config = SystemConfig(alias="crm", backend="x", name="CRM", category="crm", concurrency=1)
    first, second = jobs("locate", "restrict")
    held = gates.enter(first, config)
    assert held is not None
    assert gates.enter(second, config) is None  # put back, not blocking a worker
    gates.leave(held)
    assert gates.enter(second, config) is not None


def test_an_export_and_an_erasure_of_one_subject_never_overlap(outbox):
    config = SystemConfig(alias="crm", backend="x", name="CRM", category="crm", concurrency=10)
    (export,) = jobs("export")
    (erase,) = jobs("erase")
    (other,) = jobs("erase", email="max@example.org")
    held = gates.enter(export, config)
    assert held is not None
    assert gates.enter(erase, config) is None
    assert gates.enter(other, config) is not None  # someone else is not held up
    gates.leave(held)
    assert gates.enter(erase, config) is not None


def test_a_paced_system_starts_one_job_per_interval(outbox):
    config = SystemConfig(
        alias="zd", backend="x", name="Zendesk", category="chat", concurrency=10, min_interval=60
    )
    first, second = jobs("locate", "restrict", system="zd")
    assert gates.enter(first, config) is not None
    assert gates.enter(second, config) is None
    assert gates.wait_seconds(config) == 60


def test_a_job_claimed_again_after_its_worker_died_takes_its_own_slot_back(outbox):
    config = SystemConfig(alias="crm", backend="x", name="CRM", category="crm", concurrency=1)
    killed, waiting = jobs("export", "restrict")
    assert gates.enter(killed, config) is not None  # the worker dies: nothing is given back
    assert gates.enter(waiting, config) is None
    # The job's own retry (its lease ran out, another worker claimed it) is not kept waiting
    # for a slot that only it holds; the subject lock it held is its own too.
    again = gates.enter(killed, config)
    assert again is not None
    assert len(again) == 2
    assert gates.enter(waiting, config) is None  # still one at a time
    gates.leave(again, killed)
    assert gates.enter(waiting, config) is not None


def test_a_dead_workers_slot_frees_when_its_lease_runs_out(outbox, settings):
    import time

    settings.DSR_JOB_LEASE_SECONDS = 1
    config = SystemConfig(alias="crm", backend="x", name="CRM", category="crm", concurrency=1)
    killed, waiting = jobs("locate", "restrict")
    held = gates.enter(killed, config)
    assert held is not None
    assert gates.enter(waiting, config) is None
    gates.keep(held)  # a heartbeat renews the slot with the lease
    time.sleep(1.3)  # no heartbeat any more: the worker is gone
    assert gates.enter(waiting, config) is not None
