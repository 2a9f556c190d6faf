"""Completing a data-changing request: the letter says what was done, kept, and whom we told."""

import subprocess
from datetime import date, timedelta

import pytest
from django.utils import formats

from connectors import registry
from dsr.core.errors import RequestError
from dsr.models import Status
from dsr.services import notices, verification
from dsr.services.completion import complete
from tests.connectors import sources
from tests.factories import approve_erasure, make_officer, submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def billing(settings, tmp_path):
    url = sources.database_url("sqlite", "completion", tmp_path)
    sources.seed(url)
    settings.DSR_CONNECTORS = {
        "billing": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Billing",
            "RECIPIENTS": ["DATEV eG"],
            "OPTIONS": {"url": url, "mapping": sources.BILLING_MAPPING},
        }
    }
    registry.reset()
    yield url
    registry.reset()


def _approved_erasure(officer):
    """A posted erasure request entered by the officer, verified and approved: it has run."""
    item = submit(
        right="erasure",
        email=sources.SUBJECT,
        details={"scope": "all", "parts": ""},
        customer_number=sources.CUSTOMER_NO,
        channel="post",
        entered_by=officer,
    )
    verification.verify_manually(item, officer=officer, reason="Signed letter, contract on file.")
    approve_erasure(item, proposer=officer)
    return item


def test_an_erasure_letter_lists_what_went_what_stays_backups_and_recipients(billing, outbox):
    officer, _ = make_officer()
    item = _approved_erasure(officer)
    item.refresh_from_db()
    assert item.status == Status.IN_REVIEW
    with pytest.raises(RequestError, match=r"Art\. 19"):
        complete(item, officer=officer)  # the recipient's notice is still open
    notice = item.notices.get()
    notices.decide_notice(notice, officer=officer, notified=True)
    complete(item, officer=officer)
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    letter = outbox.last_to(sources.SUBJECT)
    assert "Billing: 1 records erased, 0 anonymised" in letter.body
    assert "§ 147" in letter.body
    # Each kept invoice with its own end date; the customer record they name is kept too.
    today = date.today()
    recent = today - timedelta(days=40)
    for year in (today.year - 2 + 10, recent.year + 10):
        assert f"Kept until {formats.date_format(date(year, 12, 31), 'DATE_FORMAT')}" in letter.body
    assert "1 customer records." in letter.body
    assert "The invoices we keep refer to them." in letter.body
    assert "restricted to that purpose" in letter.body
    assert "Backups:" in letter.body
    assert "DATEV eG" in letter.body
    ((_name, pdf, _),) = letter.attachments
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "DATEV eG" in text


def test_an_access_request_is_answered_by_its_package_not_by_a_letter(billing, outbox):
    officer, _ = make_officer()
    item = submit(email=sources.SUBJECT)
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    with pytest.raises(RequestError, match="package"):
        complete(item, officer=officer)


def test_a_partly_restricted_system_is_not_called_restricted(outbox):
    from dsr.models import ConnectorJob
    from dsr.services.completion import outcome

    item = submit(right="restriction", email=sources.SUBJECT, details={"ground": "a"})
    # Some of her records got the flag, others are in a table without one; the officer
    # recorded what happens instead.
    ConnectorJob.objects.create(
        request=item,
        system="crm",
        action="restrict",
        status="skipped",
        result={"changed": 2, "uncovered": 3, "could_not": "uncovered"},
        skipped_reason="The notes table is locked by hand.",
    )
    ConnectorJob.objects.create(
        request=item,
        system="crm",
        action="rectify",
        status="skipped",
        result={"changed": 1, "could_not": "statement_not_kept"},
        skipped_reason="Kept in the paper file.",
    )
    summary = outcome(item)
    assert [(d["action"], d["changed"]) for d in summary["done"]] == [("rectify", 1)]
    assert sorted((c["action"], c["why"]) for c in summary["could_not"]) == [
        ("rectify", "statement_not_kept"),
        ("restrict", "uncovered"),
    ]


def test_an_erasure_that_found_nothing_left_does_not_say_zero_records_erased(billing, outbox):
    """A system that no longer finds the person when the erasure runs (an earlier attempt was
    interrupted after the system had erased, or its own rule deleted the data meanwhile) is
    not reported as "0 records erased": what is true is that nothing of theirs is held there."""
    officer, _ = make_officer()
    item = _approved_erasure(officer)
    job = item.jobs.get(action="erase")
    # What the re-run of an interrupted erasure records: the system finds nothing any more.
    job.result = {"erased": 0, "anonymised": 0, "retained": []}
    job.save(update_fields=["result"])
    for notice in item.notices.all():
        notices.decide_notice(notice, officer=officer, notified=True)
    complete(item, officer=officer)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "Billing: no data about you is held here any more" in letter
    assert "0 records erased" not in letter


def test_an_erasure_that_took_two_runs_gives_no_count_it_cannot_vouch_for(billing, outbox):
    """The worker died after the system erased and before the outcome was written; the next
    run erased what was left. Its count is not the whole, so the letter says erased, no number."""
    from dsr.models import ConnectorJob, JobStatus
    from dsr.processing.worker import run_job

    officer, _ = make_officer()
    item = _approved_erasure(officer)
    job = item.jobs.get(action="erase")
    # Claimed again (its first worker's outcome never arrived): the run knows it is a repeat.
    ConnectorJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, finished_at=None)
    run_job(job.pk)
    job.refresh_from_db()
    assert job.runs == 2
    assert job.result["repeated"] is True
    # What the repeat found left and erased (the first run had erased the rest).
    job.result = {**job.result, "erased": 1}
    job.save(update_fields=["result"])
    for notice in item.notices.all():
        notices.decide_notice(notice, officer=officer, notified=True)
    complete(item, officer=officer)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "Billing: your data was erased; it took more than one attempt" in letter
    assert "records erased" not in letter


def test_a_recipient_of_two_systems_is_named_once_in_the_letter(billing, outbox):
    """Salesforce receives the CRM's data and holds its own: notified for each system, it is
    one recipient to the person."""
    from dsr.models import RecipientNotice
    from dsr.services.completion import outcome

    officer, _ = make_officer()
    item = _approved_erasure(officer)
    RecipientNotice.objects.create(request=item, system="crm", recipient="DATEV eG")
    for notice in item.notices.all():
        notices.decide_notice(notice, officer=officer, notified=True)
    assert item.notices.filter(recipient="DATEV eG").count() == 2
    assert outcome(item)["informed"] == ["DATEV eG"]
    complete(item, officer=officer)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert letter.count("DATEV eG") == 1
