"""Record retention: closed requests go after their period, with everything that hangs off them;
the statistics and a verifiable audit log stay; a legal hold keeps a request."""

from datetime import date

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from dsr.core import audit
from dsr.core.errors import RequestError
from dsr.core.files import Upload
from dsr.models import (
    AnswerPackage,
    AuditEntry,
    AuditKind,
    CaseNote,
    ConnectorJob,
    EventKind,
    ExportPart,
    FileKind,
    Proposal,
    RequestedRight,
    RequestEvent,
    RequestFile,
    RequestOutcome,
    ScheduledErasure,
    SentLetter,
    Status,
    SubjectRequest,
)
from dsr.selectors import stats
from dsr.selectors.stats import Period
from dsr.services import answers, extension, notes, questions, retention, withdrawal
from tests.dsr.test_stats import on, received
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)
PDF = b"%PDF-1.4 a scanned passport"


def withdrawn(day: str, officer, *, email: str = "erika@example.org"):
    item = received(day, officer, right="access", email=email)
    with time_machine.travel(on(day), tick=False):
        withdrawal.withdraw(item)
    return SubjectRequest.objects.get(pk=item.pk)


def purge(day: str, hour: int = 12, **kwargs) -> retention.Result:
    return retention.purge_closed(now=on(day, hour), **kwargs)


def gone(item) -> bool:
    return not SubjectRequest.objects.filter(pk=item.pk).exists()


def test_a_request_goes_on_the_first_day_after_its_period_and_not_before(shop, officer):
    item = withdrawn("2023-06-01", officer)
    assert retention.purge_from(date(2023, 6, 1)) == date(2027, 1, 1)
    assert purge("2026-12-31", hour=23).purged == 0  # 22:00 UTC: still 2026 in Berlin
    assert not gone(item)
    assert purge("2027-01-01", hour=0).purged == 1  # 23:00 UTC the day before: 2027 in Berlin
    assert gone(item)
    assert RequestOutcome.objects.filter(request_id=item.pk).exists()


def test_the_period_is_configurable(shop, officer, settings):
    item = withdrawn("2023-06-01", officer)
    settings.DSR_RECORD_RETENTION_YEARS = 1
    assert purge("2024-12-31").purged == 0
    assert purge("2025-01-01").purged == 1
    assert gone(item)


def test_everything_that_hangs_off_the_request_goes_with_it(shop, officer):
    item = received("2023-03-01", officer, right="access")
    with time_machine.travel(on("2023-03-02"), tick=False):
        notes.add_note(item, officer=officer, body="Called back, all fine.")
        questions.request_information(
            item,
            officer=officer,
            purpose="identity",
            question="Passport?",
            id_document=True,
            reason="Art. 9 data",
        )
        questions.answer_information(item, body="Here", upload=Upload(PDF))
        # A four-eyes proposal left pending: its reasons may name people, so it goes too.
        Proposal.objects.create(
            request=item, kind="refusal", reason="Third request by Erika", proposed_by=officer
        )
    with time_machine.travel(on("2023-03-03"), tick=False):
        package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
        answers.release(package, officer=officer)
    files = [
        *ExportPart.objects.filter(job__request=item).values_list("storage_name", flat=True),
        package.storage_name,
        # The letters' PDF copies, stored encrypted like the uploads.
        *RequestFile.objects.filter(request=item, kind=FileKind.LETTER).values_list(
            "storage_name", flat=True
        ),
    ]
    assert len(files) > 2
    assert all(default_storage.exists(name) for name in files)
    id_document = RequestFile.objects.get(request=item, kind=FileKind.ID_DOCUMENT)
    assert id_document.deleted_at is not None  # its own schedule: deleted at closure
    assert SentLetter.objects.filter(request=item).exists()
    before = stats.report(Period.year(2023))

    result = purge("2027-01-01")

    assert (result.due, result.purged) == (1, 1)
    assert gone(item)
    for model in (
        RequestEvent,
        ConnectorJob,
        AnswerPackage,
        RequestFile,
        SentLetter,
        CaseNote,
        Proposal,
    ):
        assert not model.objects.filter(request_id=item.pk).exists(), model
    assert not ExportPart.objects.exists()
    assert not RequestedRight.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
    entry = AuditEntry.objects.get(kind=AuditKind.PURGED)
    assert entry.request_id == item.pk
    assert entry.data["deleted"]["dsr.RequestEvent"] == len(entry.data["events"])
    assert entry.data["deleted"]["files"] == len(files)
    assert "erika" not in str(entry.data)
    assert list(audit.verify()) == []
    after = stats.report(Period.year(2023))
    assert after.received_total.counts == before.received_total.counts == [0, 0, 1] + [0] * 9
    assert after.on_time_overall == before.on_time_overall
    assert after.days_overall.days == before.days_overall.days
    assert [(s.system, s.jobs) for s in after.systems] == [
        (s.system, s.jobs) for s in before.systems
    ]
    assert answers.purge_expired() == 0  # the packages' own schedule still runs


def test_statistics_are_the_same_before_and_after_the_purge(shop, officer):
    first = withdrawn("2023-02-10", officer, email="a@example.org")
    second = received("2023-05-02", officer, email="b@example.org")  # a restriction
    with time_machine.travel(on("2023-05-12"), tick=False):
        extension.extend(
            second,
            officer=officer,
            reasons="Many systems.",
            ground="complexity",
            facts=["many_systems"],
        )
    with time_machine.travel(on("2023-06-30"), tick=False):
        from dsr.services.completion import complete

        complete(second, officer=officer)
    still_open = received("2026-11-02", officer, email="c@example.org")
    period = Period(date(2023, 1, 1), date(2026, 12, 31))
    before = stats.report(period)
    assert purge("2027-01-01").purged == 2
    after = stats.report(period)
    assert gone(first)
    assert gone(second)
    assert not gone(still_open)
    for name in ("received", "received_total", "outcomes", "on_time", "on_time_overall"):
        assert getattr(after, name) == getattr(before, name), name
    for name in ("days", "extensions", "refusals", "systems", "open"):
        assert getattr(after, name) == getattr(before, name), name
    assert before.received_total.total == 3


def test_open_requests_are_never_touched(shop, officer):
    item = received("2020-03-02", officer)  # very old, but still in review
    assert purge("2027-01-01").due == 0
    assert not gone(item)


def test_another_open_request_of_the_same_person_holds_the_closed_one(shop, officer):
    old = withdrawn("2023-06-01", officer, email="erika@example.org")
    other = withdrawn("2023-06-01", officer, email="someone@example.org")
    new = received("2026-12-01", officer, email="Erika@Example.org")
    result = purge("2027-01-02")
    assert (result.due, result.purged) == (2, 1)
    assert result.held == {retention.Hold.OPEN_REQUEST: 1}
    assert not gone(old)
    assert gone(other)
    with time_machine.travel(on("2027-01-05"), tick=False):
        withdrawal.withdraw(new)
    assert purge("2027-01-06").purged == 1  # the new one closed: the old one may go now
    assert gone(old)


def test_a_scheduled_erasure_still_to_run_holds_the_request(shop, officer):
    item = withdrawn("2023-06-01", officer)
    kept = ScheduledErasure.objects.create(
        request=item,
        system="shop",
        what="invoices",
        legal_basis="§ 147 AO",
        erase_after=date(2033, 12, 31),
    )
    assert purge("2027-01-02").held == {retention.Hold.SCHEDULED_ERASURE: 1}
    ScheduledErasure.objects.filter(pk=kept.pk).update(done_at=on("2034-01-01"))
    assert purge("2034-01-02").purged == 1
    assert not ScheduledErasure.objects.exists()


def test_a_privacy_admin_places_and_releases_a_legal_hold(shop, officer, client):
    item = withdrawn("2023-06-01", officer)
    with pytest.raises(RequestError, match="privacy admin"):
        retention.set_legal_hold(item, admin=officer, hold=True, reason="Court case 3 O 12/26")
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "This record is deleted on or after 1 January 2027" in page
    url = reverse("staff:case_action", args=[item.reference, "hold"])
    client.post(url, {"hold": "1", "reason": ""})
    assert not SubjectRequest.objects.get(pk=item.pk).legal_hold  # a reason is required
    client.post(url, {"hold": "1", "reason": "Court case 3 O 12/26"})
    item.refresh_from_db()
    assert (item.legal_hold, item.legal_hold_reason) == (True, "Court case 3 O 12/26")
    event = item.events.get(kind=EventKind.LEGAL_HOLD_SET)
    assert (event.actor, event.reason) == (admin, "Court case 3 O 12/26")
    assert item.status == Status.WITHDRAWN  # a hold changes nothing else

    assert purge("2028-01-02").held == {retention.Hold.LEGAL_HOLD: 1}
    assert not gone(item)

    client.post(url, {"hold": "0", "reason": "Judgment final."})
    item.refresh_from_db()
    assert not item.legal_hold
    assert item.events.filter(kind=EventKind.LEGAL_HOLD_RELEASED).exists()
    assert purge("2028-01-03").purged == 1


def test_an_officer_cannot_place_a_hold_through_the_page(shop, officer, client):
    item = withdrawn("2023-06-01", officer)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Place on legal hold" not in page
    client.post(
        reverse("staff:case_action", args=[item.reference, "hold"]),
        {"hold": "1", "reason": "I want to keep it."},
    )
    assert not SubjectRequest.objects.get(pk=item.pk).legal_hold


def test_a_dry_run_counts_and_changes_nothing(shop, officer, capsys):
    item = withdrawn("2023-06-01", officer)
    held = withdrawn("2023-06-01", officer, email="held@example.org")
    SubjectRequest.objects.filter(pk=held.pk).update(legal_hold=True, legal_hold_reason="Court")
    RequestOutcome.objects.all().delete()  # as before outcomes were recorded
    entries = AuditEntry.objects.count()
    with time_machine.travel(on("2027-03-01")):
        call_command("dsr_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "Past their retention period: 2" in out
    assert "Held (legal_hold): 1" in out
    assert "Would purge: 1 (dry run: nothing changed)" in out
    assert "@" not in out  # counts only
    assert item.reference not in out
    assert not gone(item)
    assert not RequestOutcome.objects.exists()
    assert AuditEntry.objects.count() == entries

    with time_machine.travel(on("2027-03-01")):
        call_command("dsr_retention")
    out = capsys.readouterr().out
    assert "Purged: 1" in out
    assert "dsr.RequestEvent:" in out
    assert item.reference not in out
    assert gone(item)
    assert RequestOutcome.objects.count() == 2


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_audit_log_stays_verifiable_and_still_finds_tampering(shop, officer, capsys):
    purged = withdrawn("2023-06-01", officer, email="a@example.org")
    kept = withdrawn("2026-06-01", officer, email="b@example.org")
    assert purge("2027-01-02").purged == 1
    assert gone(purged)
    call_command("dsr_audit", "verify")
    assert "intact" in capsys.readouterr().out

    event = kept.events.get(kind=EventKind.WITHDRAWN)
    sql("UPDATE dsr_requestevent SET reason = 'nothing to see' WHERE id = %s", event.pk)
    with pytest.raises(CommandError):
        call_command("dsr_audit", "verify")
    assert "its request event was changed" in capsys.readouterr().err

    sql("DELETE FROM dsr_requestevent WHERE id = %s", event.pk)
    with pytest.raises(CommandError):
        call_command("dsr_audit", "verify")
    assert "its request event was deleted" in capsys.readouterr().err


def test_a_purge_entry_excuses_only_the_events_it_names(shop, officer):
    purged = withdrawn("2023-06-01", officer, email="a@example.org")
    kept = withdrawn("2026-06-01", officer, email="b@example.org")
    purge("2027-01-02")
    assert gone(purged)
    # A forged purge entry at the end of the chain for the kept request, naming its events.
    events = list(kept.events.values_list("pk", flat=True))
    sql("DELETE FROM dsr_requestevent WHERE request_id = %s", kept.pk)
    audit.append(AuditKind.PURGED, request_id=purged.pk, data={"events": events})
    problems = [p.what for p in audit.verify()]
    assert problems.count("its request event was deleted") == len(events)


def test_request_events_are_deleted_nowhere_else():
    """The retention purge is the one escape hatch from append-only events."""
    from pathlib import Path

    from django.conf import settings

    users = [
        path.relative_to(settings.BASE_DIR).as_posix()
        for folder in ("dsr", "connectors", "accounts")
        for path in Path(settings.BASE_DIR, folder).rglob("*.py")
        if "_raw_delete" in path.read_text()
    ]
    assert users == ["dsr/services/retention.py"]


def test_the_daily_task_is_scheduled(settings):
    from dsr.tasks import purge_records_task

    entry = settings.CELERY_BEAT_SCHEDULE["purge-records"]
    assert entry["task"] == purge_records_task.name == "dsr.tasks.purge_records"


# --- the portal's own schedule waits for an open request of the same person ---------------------


@pytest.fixture
def billing(settings, tmp_path):
    from connectors import registry
    from tests.connectors import sources

    url = sources.database_url("sqlite", "kept", tmp_path)
    sources.seed(url)
    settings.DSR_CONNECTORS = {
        "billing": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Billing",
            "OPTIONS": {"url": url, "mapping": sources.BILLING_MAPPING},
        }
    }
    registry.reset()
    yield url
    registry.reset()


def test_a_scheduled_erasure_waits_while_the_person_has_another_open_request(billing, outbox):
    from datetime import timedelta

    from dsr.processing import sweep
    from dsr.services import verification
    from tests.connectors import sources
    from tests.factories import approve_erasure, submit

    officer, _ = make_officer()
    erasure = submit(
        right="erasure",
        email=sources.SUBJECT,
        details={"scope": "all", "parts": ""},
        customer_number=sources.CUSTOMER_NO,
        channel="post",
        entered_by=officer,
    )
    verification.verify_manually(erasure, officer=officer, reason="Signed letter on file.")
    approve_erasure(erasure, proposer=officer)
    kept = list(ScheduledErasure.objects.filter(request=erasure).order_by("erase_after", "pk"))
    # Each invoice has its own date; the customer goes with the last of them.
    assert [s.location for s in kept] == ["invoices", "invoices", "customers"]
    assert kept[0].erase_after < kept[1].erase_after == kept[2].erase_after
    older = kept[0]
    with time_machine.travel(older.erase_after + timedelta(days=2), tick=False):
        asking = submit(email=sources.SUBJECT.upper())  # the same person, asking for access
        assert sweep.run_scheduled_erasures() == 0
        assert len(sources.rows(billing, "invoices", "customer_id = 1")) == 2  # still held
        older.refresh_from_db()
        assert (older.done_at, older.waiting_for) == (None, asking.reference)
        (event,) = erasure.events.filter(kind=EventKind.ERASURE_POSTPONED)
        assert event.data["waiting_for"] == asking.reference
        assert sweep.run_scheduled_erasures() == 0  # said once, not every day
        assert erasure.events.filter(kind=EventKind.ERASURE_POSTPONED).count() == 1
        withdrawal.withdraw(asking)
        assert sweep.run_scheduled_erasures() == 1  # that request closed: now it runs
    older.refresh_from_db()
    assert (older.erased, older.waiting_for) == (1, "")
    assert len(sources.rows(billing, "invoices", "customer_id = 1")) == 1
    # Once the last invoice's duty ends, the invoice goes and then its customer, anonymised.
    with time_machine.travel(kept[1].erase_after + timedelta(days=2), tick=False):
        assert sweep.run_scheduled_erasures() == 2
    assert sources.rows(billing, "invoices", "customer_id = 1") == []
    assert sources.rows(billing, "customers", "id = 1")[0]["name"] == "Erased"
