"""The fan-out through Redis and a real worker, over real PostgreSQL, MariaDB and SQLite systems."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from connectors.backends.fake import effects
from dsr.core.crypto import Owner, unseal
from dsr.core.errors import RequestError
from dsr.models import EventKind, ExportPart, JobStatus, ScheduledErasure, Status, SubjectRequest
from dsr.processing import start, sweep, worker
from dsr.services import jobs, notices, rectification, restriction, verification
from tests.connectors import sources
from tests.factories import approve_erasure, make_officer, submit
from tests.fixtures.celery import purge_queues, wait_for
from tests.helpers import code_in, post_confirmed

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.mariadb,
    pytest.mark.django_db(transaction=True),
]


def verified(outbox, *, right="access", details=None, email=sources.SUBJECT):
    item = submit(right=right, email=email, details=details)
    wait_for(lambda: outbox.to(email))  # with a worker running, the e-mail leaves through it
    assert verification.verify_with_code(item, code_in(outbox.last_to(email))) == "ok"
    return SubjectRequest.objects.get(pk=item.pk)


def settled(item, status=Status.IN_REVIEW, timeout=30.0):
    try:
        wait_for(lambda: SubjectRequest.objects.get(pk=item.pk).status == status, timeout=timeout)
    except BaseException:
        jobs = list(item.jobs.values_list("system", "action", "status", "attempts", "last_error"))
        pytest.fail(f"request is {SubjectRequest.objects.get(pk=item.pk).status}; jobs: {jobs}")
    return SubjectRequest.objects.get(pk=item.pk)


def exported(job):
    records = []
    for part in ExportPart.objects.filter(job=job).order_by("sequence"):
        from django.core.files.storage import default_storage

        with default_storage.open(part.storage_name, "rb") as handle:
            sealed = handle.read()
        lines = (
            unseal(sealed, owner=Owner("export_part", part.pk, part.file_id)).decode().splitlines()
        )
        records += [(part.category, json.loads(line)) for line in lines]
    return records


def test_an_access_request_gathers_exactly_the_subjects_rows_from_three_databases(
    celery_worker, three_systems, outbox
):
    item = settled(verified(outbox))
    jobs = {(j.system, j.action): j for j in item.jobs.all()}
    assert {j.status for j in jobs.values()} == {JobStatus.SUCCEEDED}
    assert jobs[("crm", "locate")].found == {"customer_number": [sources.CUSTOMER_NO]}
    assert jobs[("billing", "export")].step > jobs[("crm", "export")].step  # billing runs later

    crm = exported(jobs[("crm", "export")])
    billing = exported(jobs[("billing", "export")])
    chat = exported(jobs[("chat", "export")])
    assert [r["email"].lower() for c, r in crm if c == "contact"] == [sources.SUBJECT]
    assert len([r for c, r in crm if c == "service_notes"]) == 3
    # Billing has no e-mail for her: the CRM's customer number found her account.
    assert [r["customer_no"] for c, r in billing if c == "billing_account"] == [sources.CUSTOMER_NO]
    assert len([r for c, r in billing if c == "invoices"]) == 3
    assert len(chat) == 4
    everything = json.dumps([crm, billing, chat])
    assert sources.DECOY not in everything
    assert "Eve Decoy" not in everything
    assert item.events.filter(kind=EventKind.PROCESSING_FINISHED).count() == 1
    # Stored pages are encrypted: no clear text of the subject on disk.
    from django.core.files.storage import default_storage

    for part in ExportPart.objects.all():
        with default_storage.open(part.storage_name, "rb") as handle:
            assert b"Mustermann" not in handle.read()


def test_an_erasure_waits_for_approval_then_reports_invoices_as_retained(
    celery_worker, three_systems, outbox
):
    officer, _ = make_officer()
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    # First the locate phase: every system is searched and says what the erasure would do.
    wait_for(
        lambda: (
            set(item.jobs.filter(action="locate").values_list("status", flat=True))
            == {JobStatus.SUCCEEDED}
        )
    )
    previews = {j.system: j.result["preview"] for j in item.jobs.filter(action="locate")}
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"pending"}
    assert len(sources.rows(three_systems["crm"], "contacts", "id = 1")) == 1  # nothing erased
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    approve_erasure(item, proposer=officer, reason="No exception beyond the tax records.")
    item = settled(item)
    erase = {j.system: j for j in item.jobs.filter(action="erase")}
    # The preview, a rolled-back run of the erasure, answered what the erasure then did.
    assert previews == {system: job.result for system, job in erase.items()}
    assert erase["crm"].result["erased"] == 4
    assert erase["chat"].result["erased"] == 4
    *invoices, customer = erase["billing"].result["retained"]
    # Each invoice until the end of its own year plus 10 years (this mapping's period).
    assert [k["records"] for k in invoices] == [1, 1]
    assert all("§ 147" in k["statute"] for k in invoices)
    assert all("Art. 17(3)(b)" in k["legal_basis"] for k in invoices)
    assert invoices[0]["erase_after"] == date(date.today().year - 2 + 10, 12, 31).isoformat()
    # The customer they name is kept (restricted) until the last of them goes.
    assert (customer["needed_for"], customer["erase_after"]) == (
        "invoices",
        invoices[-1]["erase_after"],
    )
    assert erase["billing"].result["anonymised"] == 0
    assert sources.rows(three_systems["crm"], "contacts", "id = 1") == []
    assert len(sources.rows(three_systems["crm"], "contacts")) == 6  # the others stay
    scheduled = ScheduledErasure.objects.order_by("erase_after", "pk")
    assert {s.system for s in scheduled} == {"billing"}
    assert [s.erase_after.isoformat() for s in scheduled] == [
        k["erase_after"] for k in (*invoices, customer)
    ]
    # Art. 19: the recipients of the changed systems are to be told.
    planned = {(n.system, n.recipient, n.status) for n in item.notices.all()}
    assert planned == {
        ("crm", "Salesforce, Inc. (processor)", "pending"),
        ("billing", "DATEV eG (tax adviser's processor)", "pending"),
    }
    notice = item.notices.get(system="billing")
    with pytest.raises(RequestError):
        notices.decide_notice(notice, officer=officer, notified=False, reason="")
    notices.decide_notice(
        notice, officer=officer, notified=False, reason="Invoices were kept, not changed."
    )
    notice.refresh_from_db()
    assert notice.status == "not_notified"
    assert notice.decided_by == officer


def test_a_restriction_is_set_and_not_lifted_before_the_subject_is_told(
    celery_worker, three_systems, outbox
):
    officer, _ = make_officer()
    item = verified(outbox, right="restriction", details={"ground": "a", "details": ""})
    # The chat has no restriction flag: its job waits for an officer's decision, never
    # "restricted"; the other systems go on meanwhile.
    wait_for(lambda: item.jobs.filter(action="restrict", status=JobStatus.SUCCEEDED).count() == 2)
    chat = item.jobs.get(system="chat", action="restrict")
    assert chat.status == JobStatus.HELD
    assert chat.result["could_not"] == "uncovered"
    jobs.skip_job(chat, officer=officer, reason="The chat vendor locks the transcripts for us.")
    item = settled(item)
    crm = three_systems["crm"]
    assert sources.rows(crm, "contacts", "id = 1")[0]["processing_restricted"]
    assert not sources.rows(crm, "contacts", "id = 2")[0]["processing_restricted"]
    with pytest.raises(RequestError):
        restriction.lift_restriction(item, officer=officer)
    assert sources.rows(crm, "contacts", "id = 1")[0]["processing_restricted"]

    restriction.notify_restriction_lift(item, officer=officer)
    wait_for(lambda: "Art. 18(3)" in outbox.last_to(sources.SUBJECT).body)
    restriction.lift_restriction(item, officer=officer)
    wait_for(lambda: not sources.rows(crm, "contacts", "id = 1")[0]["processing_restricted"])
    wait_for(
        lambda: (
            set(item.jobs.filter(action="lift_restriction").values_list("status", flat=True))
            == {JobStatus.SUCCEEDED}
        )
    )


def test_an_objection_to_direct_marketing_needs_no_approval(celery_worker, three_systems, outbox):
    from dsr.models import ProcessingActivity

    for system in ("billing", "chat"):  # the register: neither is used for marketing
        ProcessingActivity.objects.create(
            key=f"{system}-service",
            name=f"{system} service",
            purpose="Providing the service.",
            legal_basis="contract",
            data_categories="Customer data.",
            retention="Contract term.",
            systems=[system],
        )
    item = settled(verified(outbox, right="objection", details={"kind": "direct_marketing"}))
    assert sources.rows(three_systems["crm"], "contacts", "id = 1")[0]["marketing_opt_out"]
    assert not item.events.filter(kind=EventKind.APPROVED).exists()
    results = {job.system: job.result for job in item.jobs.filter(action="object")}
    assert results["crm"]["changed"] == 1
    # The chat holds her data but has no marketing function, and the register says it is
    # not used for marketing: answered as such, not as "no more direct marketing".
    assert results["chat"]["uncovered"] > 0
    assert results["chat"]["not_marketing"]


def test_a_transient_failure_is_retried_with_backoff(celery_worker, fake_system, outbox):
    fake_system(transient_failures=2, retry_after=0.2)
    item = settled(verified(outbox))
    locate = item.jobs.get(action="locate")
    assert locate.status == JobStatus.SUCCEEDED
    assert locate.attempts == 3
    assert locate.last_error == ""


def test_a_permanent_failure_keeps_the_request_open_until_a_retry_succeeds(
    celery_worker, fake_system, outbox
):
    officer, _ = make_officer()
    fake_system(fail="permanent")
    item = verified(outbox)
    wait_for(lambda: item.jobs.filter(status=JobStatus.FAILED).exists())
    job = item.jobs.get(status=JobStatus.FAILED)
    assert job.attempts == 1  # no retry for a refusal
    assert "configured to refuse" in job.last_error
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS  # never "done" with a failed system
    assert not item.events.filter(kind=EventKind.PROCESSING_FINISHED).exists()

    fake_system()  # the system is fixed
    jobs.retry_failed(item, officer=officer)
    item = settled(item)
    assert item.events.filter(kind=EventKind.JOB_RETRIED, actor=officer).exists()


def test_a_lost_message_is_sent_again_by_the_sweep(fake_system, outbox, settings):
    from celery.contrib.testing.worker import start_worker

    from dsr.celery import app

    settings.DSR_CONNECTORS = {}
    item = verified(outbox)  # verified while no system is configured: nothing starts
    fake_system()
    app.conf.task_always_eager = False
    try:
        start.start_processing(item)  # the locate job is queued in Redis...
        assert item.jobs.get(action="locate").status == JobStatus.QUEUED
        purge_queues()  # ...and the message is lost (a broker restart without persistence)
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            assert sweep.sweep()["redispatched"] == 0  # too early to call it lost
            later = timezone.now() + timedelta(hours=1)
            assert sweep.sweep(now=later)["redispatched"] == 1
            item = settled(item)  # the real worker took the job sent again
    finally:
        app.conf.task_always_eager = True
        purge_queues()
    assert item.jobs.get(action="export").status == JobStatus.SUCCEEDED


def test_a_second_delivery_of_the_same_job_does_nothing(fake_system, outbox, tmp_path):
    state = fake_system()
    item = verified(outbox, right="objection", details={"kind": "direct_marketing"})
    job = item.jobs.get()
    assert job.status == JobStatus.SUCCEEDED
    assert worker.run_job(job.pk) == "not claimed"
    assert len(effects(state)) == 1


def test_a_system_without_the_subject_is_skipped_after_locating(fake_system, outbox):
    fake_system(known=["someone-else@example.org"])
    item = settled(verified(outbox))
    export = item.jobs.get(action="export")
    assert export.status == JobStatus.SKIPPED
    assert export.skipped_reason == "No data about the subject in this system."


def test_a_skip_needs_a_reason(fake_system, outbox):
    officer, _ = make_officer()
    fake_system(fail="permanent")
    item = verified(outbox)
    job = item.jobs.get(status=JobStatus.FAILED)
    with pytest.raises(RequestError):
        jobs.skip_job(job, officer=officer, reason=" ")
    jobs.skip_job(job, officer=officer, reason="System decommissioned in 2024.")
    # Skipping the locate lets the export try (and fail) in turn; it is skipped too.
    wait_for(lambda: item.jobs.get(action="export").status == JobStatus.FAILED)
    jobs.skip_job(item.jobs.get(action="export"), officer=officer, reason="Decommissioned.")
    item = settled(item)
    assert item.events.filter(kind=EventKind.JOB_SKIPPED).count() == 2


def test_backoff_grows_and_honours_retry_after(settings):
    settings.DSR_JOB_BACKOFF_SECONDS = 10
    settings.DSR_JOB_BACKOFF_MAX_SECONDS = 100
    assert 5 <= worker.backoff(1) <= 10
    assert 40 <= worker.backoff(4) <= 80
    assert 50 <= worker.backoff(9) <= 100
    assert worker.backoff(1, retry_after=30) == 30


def test_officers_work_the_jobs_from_the_case_page(client, fake_system, outbox, settings):
    from django.urls import reverse

    from tests.factories import PASSWORD
    from tests.helpers import login_with_totp

    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    fake_system(fail="permanent")
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    case = reverse("staff:case", args=[item.reference])
    assert "needs an officer's approval" in client.get(case).content.decode()
    settings.DSR_FOUR_EYES = []  # one officer approves here; four eyes: tests/dsr/test_four_eyes
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "erasure"]),
        {"reason": "All clear."},
    )
    failed = item.jobs.get(status=JobStatus.FAILED)
    page = client.get(case).content.decode()
    assert f'id="job-{failed.pk}"' in page
    assert "configured to refuse" in page
    fake_system()
    client.post(reverse("staff:case_action", args=[item.reference, "retry_failed"]))
    settled(item)
    assert "Retry all failed" not in client.get(case).content.decode()


def test_a_rectification_waits_for_the_officers_field_changes(celery_worker, three_systems, outbox):
    officer, _ = make_officer()
    details = {"inaccurate": "My phone number", "correction": "+49 30 555", "statement": ""}
    item = verified(outbox, right="rectification", details=details)
    wait_for(lambda: item.jobs.filter(action="rectify", status=JobStatus.HELD).count() == 2)
    with pytest.raises(RequestError):
        rectification.parse_changes("phone +49 30 555")
    rectification.set_rectification(
        item, officer=officer, changes=rectification.parse_changes("contacts.phone = +49 30 555")
    )
    wait_for(
        lambda: sources.rows(three_systems["crm"], "contacts", "id = 1")[0]["phone"] == "+49 30 555"
    )
    crm = item.jobs.get(system="crm", action="rectify")
    wait_for(lambda: crm.__class__.objects.get(pk=crm.pk).status == JobStatus.SUCCEEDED)
    item = settled(item)
    results = {j.system: j.result for j in item.jobs.filter(action="rectify")}
    assert results["crm"]["changed"] == 1
    # Systems without that field change nothing, and say so.
    assert results["chat"]["changed"] == results["chat"]["uncovered"] == 0
    assert results["chat"]["note"] == "None of these fields is held in this system."
    assert sources.rows(three_systems["crm"], "contacts", "id = 2")[0]["phone"] != "+49 30 555"
    assert {n.system for n in item.notices.all()} == {"crm"}  # only where something changed


def test_scheduled_erasures_remove_the_kept_invoices_when_the_duty_ends(
    celery_worker, three_systems, outbox
):
    import time_machine

    officer, _ = make_officer()
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    approve_erasure(item, proposer=officer)
    settled(item)
    # One per invoice's own end date, and the customer they name until the last of them.
    *invoices, customer = ScheduledErasure.objects.order_by("erase_after", "pk")
    assert [s.location for s in invoices] == ["invoices", "invoices"]
    assert sum(len(s.keys) for s in invoices) == 2
    assert (customer.location, customer.erase_after) == ("customers", invoices[-1].erase_after)
    assert sweep.run_scheduled_erasures() == 0  # the duty still runs
    with time_machine.travel(invoices[-1].erase_after + timedelta(days=2)):
        assert sweep.run_scheduled_erasures() == 3
    for scheduled in (*invoices, customer):
        scheduled.refresh_from_db()
        assert scheduled.erased == 1
        assert scheduled.keys == []
    assert sources.rows(three_systems["billing"], "invoices", "customer_id = 1") == []
    assert sources.rows(three_systems["billing"], "customers", "id = 1")[0]["name"] == "Erased"


def test_an_objection_to_marketing_is_not_swallowed_by_another_objection(fake_system, outbox):
    first = verified(
        outbox, right="objection", details={"kind": "particular_situation", "situation": "Stalker"}
    )
    second = verified(outbox, right="objection", details={"kind": "direct_marketing"})
    assert first.status in (Status.IN_PROGRESS, Status.IN_REVIEW, Status.VERIFIED)
    assert second.duplicate_of is None


STATEMENT = "The address on file was right until 2024; I ask that this note stays with my data."


def test_a_statement_only_rectification_reaches_every_system_and_the_recipients(
    celery_worker, three_systems, outbox, settings, client
):
    from django.urls import reverse

    from connectors import registry
    from dsr.processing import manual
    from dsr.services.completion import complete

    settings.DSR_CONNECTORS["chat"]["OWNER_EMAIL"] = "chat-owner@example.org"
    registry.reset()
    officer, _ = make_officer()
    details = {"inaccurate": "My address history", "correction": "", "statement": STATEMENT}
    item = verified(outbox, right="rectification", details=details)
    # No field corrections to state: the systems are asked at once, with the statement.
    wait_for(
        lambda: (
            set(item.jobs.filter(action="rectify").values_list("status", flat=True))
            == {JobStatus.SUCCEEDED, JobStatus.WAITING, JobStatus.HELD}
        )
    )
    rectified = {j.system: j for j in item.jobs.filter(action="rectify")}
    # The CRM keeps it on her row only.
    assert rectified["crm"].result["statement_kept"]
    assert sources.rows(three_systems["crm"], "contacts", "id = 1")[0]["dsr_statement"] == STATEMENT
    assert sources.rows(three_systems["crm"], "contacts", "id = 2")[0]["dsr_statement"] is None
    # The chat has no place for it: its owner gets a task that carries the text.
    chat = rectified["chat"]
    assert chat.status == JobStatus.WAITING
    assert chat.result["could_not"] == "statement_not_kept"
    wait_for(lambda: outbox.to("chat-owner@example.org"))
    assert STATEMENT not in outbox.last_to("chat-owner@example.org").body  # behind the link
    task_page = client.get(
        reverse("systems:manual_task", args=[manual.task_token(chat.manual_task)])
    ).content.decode()
    assert STATEMENT in task_page
    assert 'id="task-why"' in task_page
    # Billing has no place for it and no owner: an officer decides.
    assert rectified["billing"].status == JobStatus.HELD
    assert STATEMENT not in json.dumps([j.result for j in rectified.values()])  # counts only

    manual.complete(chat.manual_task, note="Added to the chat profile notes.")
    jobs.skip_job(
        rectified["billing"],
        officer=officer,
        reason="Billing keeps no free text; your statement is kept in our CRM.",
    )
    item = settled(item)
    # The recipients of the CRM's data are told, with the statement in the notice.
    notice = item.notices.get(system="crm")
    text = notices.notice_text(notice)
    assert STATEMENT in text
    assert "supplementary statement (Art. 16 GDPR)" in text
    for pending in item.notices.filter(status="pending"):
        notices.decide_notice(pending, officer=officer, notified=True)
    complete(item, officer=officer)
    wait_for(lambda: "What we could not do" in outbox.last_to(sources.SUBJECT).body)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert (
        "Your supplementary statement (Art. 16 GDPR) is now kept with your data in: "
        "CRM, Support chat"
    ) in letter
    assert "- Support chat: your supplementary statement was added to your data (done by hand" in (
        letter
    )
    assert (
        "- Billing: Correcting your data: this system has no place to store your supplementary "
        "statement. What we do instead: Billing keeps no free text; your statement is kept in "
        "our CRM."
    ) in letter
    registry.reset()


def test_a_held_erasure_where_nothing_was_found_is_skipped_not_held(
    celery_worker, settings, tmp_path, outbox
):
    from connectors import registry

    fake = "connectors.backends.fake.FakeConnector"
    settings.DSR_CONNECTORS = {
        "shop": {"BACKEND": fake, "OPTIONS": {"known": [sources.SUBJECT]}},
        "forum": {"BACKEND": fake, "OPTIONS": {"known": ["someone.else@example.org"]}},
    }
    registry.reset()
    officer, _ = make_officer()
    details = {"scope": "parts", "parts": "My forum posts"}
    item = verified(outbox, right="erasure", details=details)
    approve_erasure(item, proposer=officer)
    wait_for(lambda: item.jobs.get(system="forum", action="erase").status == JobStatus.SKIPPED)
    forum = item.jobs.get(system="forum", action="erase")
    assert forum.skipped_reason == "No data about the subject in this system."
    # Where she has data, the officer still decides what goes.
    assert item.jobs.get(system="shop", action="erase").status == JobStatus.HELD
    registry.reset()
