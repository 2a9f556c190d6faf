"""Where a fan-out could act on the wrong person, twice, too much, or after the request ended."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dsr.models import ConnectorJob, JobStatus, Status, SubjectRequest
from dsr.processing import dispatch, start, sweep, worker
from dsr.processing.identity import identity_for
from dsr.services import jobs, verification, withdrawal
from tests.connectors.test_fanout import verified
from tests.factories import approve_erasure, make_officer, submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_typed_in_numbers_are_not_trusted_without_an_officer(outbox):
    item = submit(customer_number="K-STRANGER", phone="+49 30 999")
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    item.refresh_from_db()
    identity = identity_for(item)
    assert identity.email == "erika@example.org"
    assert identity.customer_number == ""
    assert identity.phone == ""

    officer, _ = make_officer()
    letter = submit(
        email="",
        customer_number="K-100042",
        channel="post",
        entered_by=officer,
        postal_address="Hauptstr. 1",
    )
    verification.verify_manually(letter, officer=officer, reason="Signature matches the contract.")
    letter.refresh_from_db()
    assert identity_for(letter).customer_number == "K-100042"


def test_an_unverified_address_is_never_searched(outbox):
    item = submit()
    assert identity_for(item).email == ""


def test_a_worker_that_lost_its_claim_cannot_overwrite_the_outcome(fake_system, outbox):
    fake_system()
    item = verified(outbox)
    job = item.jobs.get(action="locate")
    ConnectorJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, claim="the-new-one")
    job.claim = "the-old-one"
    assert worker._failed(job, "stale worker") == "failed"
    assert worker._succeeded(job, (JobStatus.SUCCEEDED, {}, {}), 1) == "lost the claim"
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.last_error == ""


def test_nothing_runs_after_the_request_is_withdrawn(fake_system, outbox, settings):
    settings.DSR_CONNECTORS = {}
    item = verified(outbox)
    fake_system()
    from dsr.celery import app

    app.conf.task_always_eager = False
    try:
        start.start_processing(item)
    finally:
        app.conf.task_always_eager = True
    withdrawal.withdraw(SubjectRequest.objects.get(pk=item.pk))
    locate = item.jobs.get(action="locate")
    assert worker.run_job(locate.pk) == "request closed"
    dispatch.advance(item.pk)
    assert set(item.jobs.values_list("status", flat=True)) == {JobStatus.SKIPPED}


def test_an_erasure_of_some_data_waits_for_the_officer_to_pick_the_systems(fake_system, outbox):
    fake_system()
    officer, _ = make_officer()
    item = verified(outbox, right="erasure", details={"scope": "parts", "parts": "my chats"})
    approve_erasure(item, proposer=officer)
    erase = item.jobs.get(action="erase")
    assert erase.status == JobStatus.HELD
    assert "Erase only the data the requester named" in erase.result["note"]
    jobs.retry_job(erase, officer=officer)  # the officer starts the system in scope
    erase.refresh_from_db()
    assert erase.status == JobStatus.SUCCEEDED


def test_a_withdrawn_consent_stops_marketing_at_once_and_holds_the_erasure(fake_system, outbox):
    fake_system()
    item = verified(outbox, right="consent_withdrawal", details={"consent": "Newsletter"})
    assert item.jobs.get(action="object").status == JobStatus.SUCCEEDED
    assert item.jobs.get(action="erase").status == JobStatus.HELD


def test_the_sweep_moves_a_stalled_fan_out_and_starts_a_lost_start(fake_system, outbox, settings):
    fake_system()
    item = verified(outbox)
    export = item.jobs.get(action="export")
    # As if the worker died after recording the locate but before moving on:
    ConnectorJob.objects.filter(pk=export.pk).update(status=JobStatus.PENDING, result={})
    SubjectRequest.objects.filter(pk=item.pk).update(status=Status.IN_PROGRESS)
    counts = sweep.sweep()
    assert counts["advanced"] == 1
    export.refresh_from_db()
    assert export.status == JobStatus.SUCCEEDED

    settings.DSR_CONNECTORS = {}
    lost = verified(outbox, email="max@example.org")  # verified, but nothing started
    fake_system()
    assert not lost.jobs.exists()
    assert sweep.sweep(now=timezone.now() + timedelta(hours=1))["started"] == 1
    assert lost.jobs.exists()


def test_a_job_that_keeps_killing_its_worker_is_given_up(fake_system, outbox, settings):
    settings.DSR_JOB_MAX_ATTEMPTS = 3
    fake_system()
    item = verified(outbox)
    job = item.jobs.get(action="export")
    ConnectorJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=3, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert worker.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "never finished" in job.last_error
