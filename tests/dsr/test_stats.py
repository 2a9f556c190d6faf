"""The accountability statistics: each closed request's outcome, and exact figures per period."""

import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from dsr.models import ConnectorJob, EventKind, JobStatus, RequestOutcome, Status, SubjectRequest
from dsr.selectors import stats
from dsr.selectors.stats import Period
from dsr.services import extension, jobs, outcomes, questions, verification, withdrawal
from dsr.services.completion import complete
from dsr.services.refusals import Refusal, refuse
from tests.factories import PASSWORD, UserFactory, submit
from tests.helpers import login_with_password, login_with_totp, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def on(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BERLIN)


def received(day: str, officer, *, right: str = "restriction", email: str = ""):
    """A request received and verified by an officer on ``day``; with the shop configured a
    restriction is then processed at once and waits for the officer's review."""
    moment = on(day)
    with time_machine.travel(moment, tick=False):
        item = submit(
            right=right,
            email=email or f"p{SubjectRequest.objects.count()}@example.org",
            received_at=moment,
        )
        verification.verify_manually(item, officer=officer, reason="Known customer, signed letter.")
    return SubjectRequest.objects.get(pk=item.pk)


def completed(item, day: str, officer):
    with time_machine.travel(on(day), tick=False):
        assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_REVIEW
        complete(item, officer=officer)
    return SubjectRequest.objects.get(pk=item.pk)


@pytest.fixture
def year_2025(shop, officer):
    """Requests with known dates and outcomes (Europe/Berlin, public holidays of Germany).

    restriction: A 10 days, on time; B 35 days, late; C extended, 71 days, late for the
    month but within the extension; H received in 2024, 19 days, on time.
    access: D refused after 10 days; E withdrawn (not an answer); G still open (in review).
    """
    h = received("2024-12-20", officer)
    completed(h, "2025-01-08", officer)
    a = received("2025-01-10", officer)
    completed(a, "2025-01-20", officer)
    b = received("2025-02-03", officer)
    completed(b, "2025-03-10", officer)  # the month ended on 3 March
    c = received("2025-03-05", officer)
    with time_machine.travel(on("2025-03-20"), tick=False):
        extension.extend(
            c,
            officer=officer,
            reasons="Fourteen systems.",
            ground="complexity",
            facts=["many_systems"],
        )
    completed(c, "2025-05-15", officer)  # the month ended 7 April, the extension 5 June
    d = received("2025-04-01", officer, right="access")
    with time_machine.travel(on("2025-04-11"), tick=False):
        refuse(
            d,
            officer=officer,
            refusal=Refusal(
                "manifestly_unfounded", reasons="To keep us busy.", sub_ground="malicious"
            ),
        )
    e = received("2025-05-02", officer, right="access")
    with time_machine.travel(on("2025-05-05"), tick=False):
        withdrawal.withdraw(e)
    g = received("2025-06-02", officer, right="access")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g, "h": h}


def outcome_of(item) -> RequestOutcome:
    return RequestOutcome.objects.get(request_id=item.pk)


# --- one request's record ---------------------------------------------------------------------


def test_the_outcome_is_recorded_when_the_request_closes(year_2025):
    c = outcome_of(year_2025["c"])
    assert (c.rights, c.channel, c.language, c.requester_type) == (
        ["restriction"],
        "web",
        "en",
        "subject",
    )
    assert (c.received_on, c.closed_on, c.days_to_close) == (
        date(2025, 3, 5),
        date(2025, 5, 15),
        71,
    )
    assert (c.outcome, c.on_time, c.on_time_extended) == ("completed", False, True)
    assert (c.extended, c.extended_on) == (True, date(2025, 3, 20))
    assert c.extension_ground == "complexity"
    assert c.systems == {"shop": {"jobs": 2, "failed": 0, "skipped": 0}}  # locate, restrict
    b = outcome_of(year_2025["b"])
    assert (b.on_time, b.on_time_extended, b.extended) == (False, False, False)
    d = outcome_of(year_2025["d"])
    assert (d.outcome, d.refusal_ground, d.on_time, d.days_to_close) == (
        "refused",
        "manifestly_unfounded",
        True,
        10,
    )
    assert outcome_of(year_2025["e"]).outcome == "withdrawn"
    assert not RequestOutcome.objects.filter(request_id=year_2025["g"].pk).exists()  # open
    assert "@" not in str(list(RequestOutcome.objects.values()))  # nothing about the person


def test_recording_again_changes_nothing(year_2025):
    item = year_2025["c"]
    before = RequestOutcome.objects.filter(request_id=item.pk).values().get()
    outcomes.snapshot(item)
    outcomes.snapshot(item)
    assert RequestOutcome.objects.filter(request_id=item.pk).count() == 1
    after = RequestOutcome.objects.filter(request_id=item.pk).values().get()
    assert {k: v for k, v in after.items() if k != "recorded_at"} == {
        k: v for k, v in before.items() if k != "recorded_at"
    }
    assert outcomes.snapshot(year_2025["g"]) is None  # open: nothing to record


def test_a_pause_moves_the_one_month_date(shop, officer):
    item = received("2025-01-06", officer, right="access")
    with time_machine.travel(on("2025-01-07"), tick=False):
        questions.request_information(
            item, officer=officer, purpose="identity", question="Customer number?"
        )
    with time_machine.travel(on("2025-01-17"), tick=False):
        questions.answer_information(item, body="K-1234")  # ten days paused
    with time_machine.travel(on("2025-02-14"), tick=False):  # the month ended 6 February
        refuse(
            item,
            officer=officer,
            refusal=Refusal("manifestly_unfounded", reasons="To disrupt.", sub_ground="malicious"),
        )
    assert outcome_of(item).on_time  # 6 February + 10 days = 16 February (a Sunday: 17th)


def test_a_partial_refusal_is_the_outcome_when_the_rest_is_completed(shop, officer):
    item = received("2025-02-03", officer)
    with time_machine.travel(on("2025-02-05"), tick=False):
        refuse(
            item,
            officer=officer,
            refusal=Refusal("exception", reasons="Kept.", statute="§ 147 AO", partial=True),
        )
    completed(item, "2025-02-10", officer)
    result = outcome_of(item)
    assert (result.outcome, result.refusal_ground) == ("partly_refused", "exception")


def test_a_job_counts_as_failed_if_it_failed_needed_a_retry_or_was_restarted(shop, officer):
    item = received("2025-01-10", officer)
    ConnectorJob.objects.create(
        request=item, system="crm", action="restrict", status=JobStatus.SUCCEEDED, attempts=3
    )
    ConnectorJob.objects.create(
        request=item, system="crm", action="locate", status=JobStatus.SUCCEEDED, attempts=1
    )
    restarted = ConnectorJob.objects.create(
        request=item, system="chat", action="restrict", status=JobStatus.FAILED, attempts=8
    )
    ConnectorJob.objects.create(
        request=item, system="chat", action="locate", status=JobStatus.SKIPPED, attempts=0
    )
    with time_machine.travel(on("2025-01-12"), tick=False):
        jobs.retry_job(restarted, officer=officer)  # attempts back to 0; the event remembers
        ConnectorJob.objects.filter(pk=restarted.pk).update(status=JobStatus.SUCCEEDED)
        withdrawal.withdraw(item)
    assert outcome_of(item).systems == {
        "shop": {"jobs": 2, "failed": 0, "skipped": 0},
        "crm": {"jobs": 2, "failed": 1, "skipped": 0},
        "chat": {"jobs": 2, "failed": 1, "skipped": 1},
    }
    assert outcomes.job_failed("succeeded", 1, restarted_after_failure=False) is False
    assert outcomes.job_failed("failed", 1, restarted_after_failure=False) is True


def test_backfill_records_requests_closed_before_outcomes_existed(year_2025, capsys):
    RequestOutcome.objects.all().delete()
    assert outcomes.closed_without_outcome().count() == 6
    call_command("dsr_stats", "backfill")
    assert "Recorded the outcome of 6 closed request(s)." in capsys.readouterr().out
    assert outcome_of(year_2025["c"]).on_time_extended
    call_command("dsr_stats", "backfill")
    assert "of 0 closed" in capsys.readouterr().out


# --- the figures ------------------------------------------------------------------------------


def test_median_and_90th_percentile():
    assert stats.median(Counter()) is None
    assert stats.median(Counter([10, 19, 35, 71])) == Decimal(27)
    assert stats.median(Counter([10, 10, 19, 35, 71])) == Decimal(19)
    assert stats.percentile_90(Counter(range(1, 11))) == 9  # 9 of 10 within 9 days
    assert stats.percentile_90(Counter(range(1, 12))) == 10  # 10 of 11 is 91%
    assert stats.percentile_90(Counter(range(1, 10))) == 9  # 8 of 9 is only 89%
    assert stats.percentile_90(Counter({3: 18, 40: 2})) == 3
    assert stats.percentile_90(Counter({3: 17, 40: 3})) == 40


def test_the_figures_of_a_year(year_2025):
    report = stats.report(Period.year(2025))
    received = {row.key: row.counts for row in report.received}
    assert received["restriction"] == [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert received["access"] == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert received["erasure"] == [0] * 12
    assert report.received_total.counts == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]

    assert {row.status: row.count for row in report.open if row.count} == {"in_review": 1}

    assert {row.key: row.count for row in report.outcomes} == {
        "completed": 4,
        "partly_refused": 0,
        "refused": 1,
        "withdrawn": 1,
        "expired": 0,
    }
    rates = {row.key: row for row in report.on_time}
    restriction = rates["restriction"]
    assert (restriction.answered, restriction.on_time, restriction.on_time_extended) == (4, 2, 3)
    assert (restriction.rate, restriction.rate_extended) == (Decimal("0.5"), Decimal("0.75"))
    assert (rates["access"].answered, rates["access"].rate) == (1, Decimal(1))  # not E
    assert rates["erasure"].rate is None
    overall = report.on_time_overall
    assert (overall.answered, overall.rate, overall.rate_extended) == (
        5,
        Decimal("0.6"),
        Decimal("0.8"),
    )

    days = {row.key: row for row in report.days}
    assert (days["restriction"].median, days["restriction"].p90) == (Decimal(27), 71)
    assert (days["access"].median, days["access"].p90) == (Decimal(10), 10)
    assert (report.days_overall.median, report.days_overall.p90) == (Decimal(19), 71)

    assert {row.key: row.count for row in report.extensions} == {
        "complexity": 1,
        "number_of_requests": 0,
        "both": 0,
    }
    refusals = {row.key: (row.count, row.partly) for row in report.refusals}
    assert refusals["manifestly_unfounded"] == (1, 0)
    assert sum(count for count, _ in refusals.values()) == 1
    assert [(s.system, s.jobs, s.failed, s.rate) for s in report.systems] == [
        ("shop", 12, 0, Decimal(0))
    ]
    assert report.unrecorded == 0


def test_a_period_counts_only_what_falls_in_it(year_2025):
    report = stats.report(Period(date(2024, 12, 1), date(2025, 1, 31)))
    assert [m.isoformat() for m in report.months] == ["2024-12-01", "2025-01-01"]
    assert report.received_total.counts == [1, 1]  # H and A
    assert report.on_time_overall.answered == 2  # H and A closed in January
    assert {row.key: row.count for row in report.extensions}["complexity"] == 0


def test_an_open_extended_request_counts_its_extension(shop, officer):
    item = received("2025-03-05", officer)
    with time_machine.travel(on("2025-03-20"), tick=False):
        extension.extend(
            item,
            officer=officer,
            reasons="Many requests.",
            ground="both",
            facts=["many_systems", "person_requests"],
        )
    extensions = {row.key: row.count for row in stats.extensions_by_ground(Period.year(2025))}
    assert extensions["both"] == 1


def test_the_page_and_the_csv(year_2025, officer, client):
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)

    page = client.get(reverse("staff:stats"), {"year": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 January 2025 to 31 December 2025" in html
    assert "<svg" in html
    assert "60.0 %" in html  # on time within one month, all requests
    assert "80.0 %" in html
    assert 'href="/staff/stats/"' in html  # the navigation

    response = client.get(reverse("staff:stats_csv"), {"year": 2025})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dsr-statistics-2025.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "label", "month", "measure", "value"]
    figures = {(r[0], r[1], r[3], r[4]): r[5] for r in rows[1:]}
    assert figures[("period", "", "", "start")] == "2025-01-01"
    assert figures[("received", "restriction", "2025-02", "requests")] == "1"
    assert figures[("received", "all", "", "requests")] == "6"
    assert figures[("on_time", "all", "", "rate_within_one_month")] == "0.6000"
    assert figures[("on_time", "restriction", "", "rate_within_deadline")] == "0.7500"
    assert figures[("days_to_close", "all", "", "median")] == "19"
    assert figures[("days_to_close", "restriction", "", "p90")] == "71"
    assert figures[("extensions", "complexity", "", "requests")] == "1"
    assert figures[("refusals", "manifestly_unfounded", "", "requests")] == "1"
    assert figures[("open", "in_review", "", "requests")] == "1"
    assert figures[("connectors", "shop", "", "failure_rate")] == "0.0000"
    assert "@example.org" not in response.content.decode()

    dates = client.get(reverse("staff:stats_csv"), {"from": "2025-01-01", "to": "2025-01-31"})
    assert 'filename="dsr-statistics-2025-01-01_2025-01-31.csv"' in dates["Content-Disposition"]
    wrong = client.get(reverse("staff:stats"), {"from": "2025-02-01", "to": "2025-01-01"})
    assert "before its start" in wrong.content.decode()


def test_only_officers_see_the_statistics(client):
    requester = UserFactory(email="erika@example.org")
    for name in ("staff:stats", "staff:stats_csv"):
        anonymous = client.get(reverse(name))
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("account_login"))
    login_with_password(client, requester.email, PASSWORD)
    assert client.get(reverse("staff:stats")).status_code == 403
    assert client.get(reverse("staff:stats_csv")).status_code == 403


def test_the_extension_form_requires_its_ground(shop, officer, client):
    item = received("2025-03-05", officer)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    with time_machine.travel(on("2025-03-20")):
        page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
        [radio] = re.findall(r'<input[^>]*\bid="id_ground_0"[^>]*>', page)
        assert all(a in radio for a in ('type="radio"', 'name="ground"', 'value="complexity"'))
        url = reverse("staff:case_action", args=[item.reference, "extend"])
        client.post(url, {"reasons": "Fourteen systems."})
        assert not SubjectRequest.objects.get(pk=item.pk).extended
        # Effort is refused with the reason, and the case stays as it was.
        refused = client.post(
            url,
            {"reasons": "A lot of work.", "ground": "number_of_requests", "facts": ["effort"]},
            follow=True,
        )
        assert "Effort or workload alone is not a ground" in refused.content.decode()
        assert not SubjectRequest.objects.get(pk=item.pk).extended
        post_confirmed(
            client,
            url,
            {
                "reasons": "Fourteen requests at once.",
                "ground": "number_of_requests",
                "facts": ["many_requests"],
            },
        )
    event = item.events.get(kind=EventKind.EXTENDED)
    assert event.data == {"ground": "number_of_requests", "facts": ["many_requests"]}
    assert SubjectRequest.objects.get(pk=item.pk).extended


def test_an_extension_does_not_make_a_late_refusal_timely(shop, officer):
    item = received("2025-01-06", officer, right="access")
    with time_machine.travel(on("2025-01-20"), tick=False):
        extension.extend(
            item,
            officer=officer,
            reasons="Many systems.",
            ground="complexity",
            facts=["many_systems"],
        )
    with time_machine.travel(on("2025-02-20"), tick=False):  # the month ended 6 February
        refuse(
            item,
            officer=officer,
            refusal=Refusal("manifestly_unfounded", reasons="To disrupt.", sub_ground="malicious"),
        )
    result = outcome_of(item)
    assert result.extended
    assert not result.on_time
    assert not result.on_time_extended  # a refusal is due within the month (LEGAL.md §2)
