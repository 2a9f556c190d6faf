"""The statutory clock, case by case (LEGAL.md section 1). Pure: no database, no clock.

Every expected date below was checked by hand against Python's calendar module (weekdays) and
the holidays package (public holidays of DE, its Länder NW and BE, and NL).
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from dsr.deadlines import (
    DeadlineInput,
    Pause,
    add_months,
    add_working_days,
    calendar_for,
    compute,
    deadline_end,
    explain,
    extension_allowed,
    is_working_day,
    next_working_day,
    receipt_date,
)

d = date.fromisoformat

CALENDARS = {"DE": ("DE", ""), "DE-NW": ("DE", "NW"), "DE-BE": ("DE", "BE"), "NL": ("NL", "")}


def due_for(where, received, **options):
    country, subdivision = CALENDARS[where]
    inp = DeadlineInput(
        received=d(received), calendar=calendar_for(country, subdivision), **options
    )
    return compute(inp)


CASES = [
    # --- One month: the same day number, or the last day of a shorter month -------------------
    pytest.param("DE-NW", "2025-01-31", "2025-02-28", {}, id="month-end-31-jan-to-28-feb"),
    pytest.param("DE-NW", "2024-01-31", "2024-02-29", {}, id="leap-year-2024-31-jan-to-29-feb"),
    pytest.param("DE-NW", "2028-01-31", "2028-02-29", {}, id="leap-year-2028-31-jan-to-29-feb"),
    pytest.param("DE-NW", "2024-01-30", "2024-02-29", {}, id="leap-year-30-jan-to-29-feb"),
    pytest.param("DE", "2025-01-29", "2025-02-28", {}, id="month-end-29-jan-to-28-feb"),
    pytest.param("DE-NW", "2025-03-31", "2025-04-30", {}, id="month-end-31-mar-to-30-apr"),
    pytest.param("DE-NW", "2025-08-31", "2025-09-30", {}, id="month-end-31-aug-to-30-sep"),
    pytest.param("NL", "2025-05-31", "2025-06-30", {}, id="month-end-31-may-to-30-jun"),
    pytest.param(
        "DE-NW", "2027-01-31", "2027-03-01", {}, id="month-end-28-feb-sunday-rolls-to-1-mar"
    ),
    pytest.param("DE", "2025-10-31", "2025-12-01", {}, id="month-end-30-nov-sunday-rolls"),
    pytest.param("DE", "2025-12-31", "2026-02-02", {}, id="year-wrap-31-jan-saturday-rolls"),
    # --- Weekends -----------------------------------------------------------------------------
    pytest.param("DE-NW", "2025-03-04", "2025-04-04", {}, id="weekday-stays"),
    pytest.param("DE-NW", "2025-03-05", "2025-04-07", {}, id="saturday-rolls-to-monday"),
    pytest.param("DE-NW", "2025-03-06", "2025-04-07", {}, id="sunday-rolls-to-monday"),
    pytest.param("NL", "2025-03-08", "2025-04-08", {}, id="receipt-on-a-saturday-counts"),
    # --- Public holidays ----------------------------------------------------------------------
    pytest.param("DE", "2025-09-03", "2025-10-06", {}, id="german-unity-day-friday-de"),
    pytest.param("NL", "2025-09-03", "2025-10-03", {}, id="german-unity-day-not-in-nl"),
    pytest.param("DE-NW", "2025-05-19", "2025-06-20", {}, id="corpus-christi-in-nw"),
    pytest.param("DE-BE", "2025-05-19", "2025-06-19", {}, id="corpus-christi-not-in-be"),
    pytest.param("DE", "2025-05-19", "2025-06-19", {}, id="corpus-christi-not-national"),
    pytest.param("DE-NW", "2024-10-01", "2024-11-04", {}, id="all-saints-in-nw"),
    pytest.param("DE-BE", "2024-10-01", "2024-11-01", {}, id="all-saints-not-in-be"),
    pytest.param("DE-BE", "2024-02-08", "2024-03-11", {}, id="womens-day-in-be"),
    pytest.param("DE-NW", "2024-02-08", "2024-03-08", {}, id="womens-day-not-in-nw"),
    pytest.param("DE-BE", "2025-04-08", "2025-05-09", {}, id="be-one-off-8-may-2025"),
    pytest.param("DE-NW", "2025-11-25", "2025-12-29", {}, id="christmas-run-thu-fri-weekend"),
    pytest.param("NL", "2026-11-25", "2026-12-28", {}, id="christmas-friday-then-weekend"),
    pytest.param("DE-NW", "2025-12-01", "2026-01-02", {}, id="new-year-thursday"),
    pytest.param("DE-NW", "2025-03-21", "2025-04-22", {}, id="easter-monday"),
    pytest.param("DE-NW", "2025-03-18", "2025-04-22", {}, id="good-friday-to-easter-monday-de"),
    pytest.param("NL", "2025-03-18", "2025-04-22", {}, id="good-friday-is-atw-holiday-nl"),
    pytest.param("DE-NW", "2025-04-29", "2025-05-30", {}, id="ascension-day"),
    pytest.param("DE-NW", "2025-05-09", "2025-06-10", {}, id="whit-monday"),
    pytest.param("DE", "2025-04-01", "2025-05-02", {}, id="labour-day-de"),
    pytest.param("NL", "2025-04-01", "2025-05-01", {}, id="labour-day-not-in-nl"),
    pytest.param("NL", "2026-03-27", "2026-04-28", {}, id="koningsdag-nl"),
    pytest.param("DE", "2026-03-27", "2026-04-27", {}, id="koningsdag-not-in-de"),
    pytest.param("NL", "2026-04-05", "2026-05-06", {}, id="liberation-day-non-lustrum-2026-nl"),
    pytest.param("DE", "2026-04-05", "2026-05-05", {}, id="liberation-day-not-in-de"),
    pytest.param("NL", "2027-04-05", "2027-05-07", {}, id="liberation-day-then-ascension-nl"),
    pytest.param("NL", "2018-11-24", "2018-12-27", {}, id="atw-equated-24-dec-2018-nl"),
    pytest.param("DE", "2018-11-24", "2018-12-24", {}, id="24-dec-is-a-working-day-de"),
    pytest.param("NL", "2019-04-30", "2019-06-03", {}, id="atw-equated-friday-after-ascension"),
    pytest.param(
        "NL", "2025-12-02", "2026-01-02", {}, id="atw-2-jan-2026-unconfirmed-not-a-holiday"
    ),
    # --- Extension: from receipt, then rolled -------------------------------------------------
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-06-05",
        {"extended_on": d("2025-03-20")},
        id="extension-from-receipt-not-from-rolled-date",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-07",
        "2025-06-10",
        {"extended_on": d("2025-03-20")},
        id="extension-saturday-and-whit-monday-roll",
    ),
    pytest.param(
        "DE-NW",
        "2025-11-30",
        "2026-03-02",
        {"extended_on": d("2025-12-01")},
        id="extension-month-end-28-feb-saturday-rolls",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-07",
        {"extended_on": d("2025-04-08")},
        id="extension-after-the-month-does-not-count",
    ),
    # --- Pauses -------------------------------------------------------------------------------
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-10",
        {"pauses": (Pause(d("2025-03-05"), d("2025-03-10")),)},
        id="pause-days-added-before-the-roll",
    ),
    pytest.param(
        "DE",
        "2025-09-01",
        "2025-10-06",
        {"pauses": (Pause(d("2025-09-02"), d("2025-09-04")),)},
        id="pause-lands-on-german-unity-day-then-rolls",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-08",
        {"pauses": (Pause(d("2025-03-10"), d("2025-03-13")),)},
        id="pause-asked-on-3rd-working-day-counts",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-07",
        {"pauses": (Pause(d("2025-03-11"), d("2025-03-21")),)},
        id="pause-asked-late-is-ignored",
    ),
    pytest.param(
        "DE-NW",
        "2025-04-17",
        "2025-05-21",
        {"pauses": (Pause(d("2025-04-24"), d("2025-04-28")),)},
        id="undue-delay-counts-working-days-past-easter",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-10",
        {
            "pauses": (
                Pause(d("2025-03-05"), d("2025-03-07")),
                Pause(d("2025-03-07"), d("2025-03-10")),
            )
        },
        id="two-pauses-add-up",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-10",
        {
            "pauses": (
                Pause(d("2025-03-05"), d("2025-03-10")),
                Pause(d("2025-03-07"), d("2025-03-09")),
            )
        },
        id="overlapping-pauses-count-once",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-15",
        {"pauses": (Pause(d("2025-03-06"), None),), "as_of": d("2025-03-16")},
        id="open-pause-counts-up-to-as-of",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-07",
        {"pauses": (Pause(d("2025-03-06"), None),)},
        id="open-pause-without-as-of-counts-nothing",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-06-10",
        {"pauses": (Pause(d("2025-03-05"), d("2025-03-10")),), "extended_on": d("2025-03-20")},
        id="extension-plus-paused-days-before-roll",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-22",
        {"pauses": (Pause(d("2025-03-06"), d("2025-03-20")),), "uk_mode": True},
        id="uk-mode-month-restarts-on-answer-easter-roll",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-06-20",
        {
            "pauses": (Pause(d("2025-03-06"), d("2025-03-20")),),
            "uk_mode": True,
            "extended_on": d("2025-03-21"),
        },
        id="uk-mode-extension-from-restart",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-08",
        {"pauses": (Pause(d("2025-03-06"), d("2025-03-09")),), "undue_delay_working_days": 1},
        id="undue-delay-setting-1-working-day-counts",
    ),
    pytest.param(
        "DE-NW",
        "2025-03-05",
        "2025-04-07",
        {"pauses": (Pause(d("2025-03-07"), d("2025-03-10")),), "undue_delay_working_days": 1},
        id="undue-delay-setting-1-working-day-ignores-later",
    ),
]


@pytest.mark.parametrize(("where", "received", "due", "options"), CASES)
def test_due_date(where, received, due, options):
    assert due_for(where, received, **options).due == d(due)


def test_the_table_is_big_enough():
    assert len(CASES) >= 35


# --- The parts --------------------------------------------------------------------------------


def test_strict_and_policy_dates_are_both_kept():
    result = due_for("DE-NW", "2025-03-05", pauses=(Pause(d("2025-03-05"), d("2025-03-10")),))
    assert result.one_month == d("2025-04-05")
    assert result.strict_due == d("2025-04-07")  # no pauses: drives alerts
    assert result.policy_due == d("2025-04-10")  # 5 paused days before the roll, not 04-14
    assert result.strict_extended_due == d("2025-06-05")
    assert result.policy_extended_due == d("2025-06-10")
    assert result.paused_days == 5
    assert not result.paused_now
    assert not result.extended
    assert result.due == result.policy_due


def test_counted_and_ignored_pauses_are_told_apart():
    early, late = Pause(d("2025-03-06"), None), Pause(d("2025-03-11"), d("2025-03-12"))
    result = due_for("DE-NW", "2025-03-05", pauses=(late, early), as_of=d("2025-03-09"))
    assert result.counted_pauses == (early,)
    assert result.ignored_pauses == (late,)
    assert result.pause_limit == d("2025-03-10")
    assert result.paused_days == 3
    assert result.paused_now


def test_extension_counts_from_receipt_not_from_the_rolled_date():
    result = due_for("DE-NW", "2025-03-05", extended_on=d("2025-04-07"))
    assert result.extended
    assert result.due == d("2025-06-05")
    assert add_months(result.strict_due, 2) == d("2025-06-07")  # the wrong way


def test_impossible_pauses_are_refused():
    with pytest.raises(ValueError, match="precedes receipt"):
        due_for("DE", "2025-03-05", pauses=(Pause(d("2025-03-04"), None),))
    with pytest.raises(ValueError, match="before it was asked"):
        due_for("DE", "2025-03-05", pauses=(Pause(d("2025-03-06"), d("2025-03-05")),))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-03-05", 3, "2025-06-05"),
        ("2025-11-30", 3, "2026-02-28"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2025-03-31", -1, "2025-02-28"),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(d(day), months) == d(expected)


def test_working_days():
    nw = calendar_for("DE", "NW")
    assert is_working_day(d("2025-04-17"), nw)
    assert not is_working_day(d("2025-04-18"), nw)  # Good Friday
    assert not is_working_day(d("2025-04-19"), nw)  # Saturday
    assert next_working_day(d("2025-04-17"), nw) == d("2025-04-17")
    assert next_working_day(d("2025-04-18"), nw) == d("2025-04-22")
    assert add_working_days(d("2025-04-17"), 3, nw) == d("2025-04-24")
    assert add_working_days(d("2025-04-17"), 0, nw) == d("2025-04-17")


def test_a_calendar_is_anything_with_holiday_name():
    class Office:
        def holiday_name(self, day):
            return "Company day" if day == date(2025, 4, 7) else None

    result = compute(DeadlineInput(received=d("2025-03-05"), calendar=Office()))
    assert result.due == d("2025-04-08")
    assert "Company day" in explain(result, "en", Office())


# --- Calendars --------------------------------------------------------------------------------


def test_calendars_are_cached_and_validated():
    assert calendar_for("DE", "NW") is calendar_for("DE", "NW")
    assert calendar_for("NL").holiday_name(d("2026-05-05")) is not None  # every year (Atw)
    assert calendar_for("NL").holiday_name(d("2025-04-18")) is not None  # Good Friday (Atw)
    assert calendar_for("DE").holiday_name(d("2026-05-05")) is None
    with pytest.raises(ValueError, match="country code 'XX'"):
        calendar_for("XX")
    with pytest.raises(ValueError, match="'ZZ' is not a subdivision of DE"):
        calendar_for("DE", "ZZ")


# --- Time zones -------------------------------------------------------------------------------


def test_receipt_date_is_the_date_in_the_controllers_zone():
    late_evening_utc = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)
    assert receipt_date(late_evening_utc, "Europe/Berlin") == d("2025-02-01")
    assert receipt_date(late_evening_utc, "Europe/London") == d("2025-01-31")
    with pytest.raises(ValueError, match="aware"):
        receipt_date(datetime(2025, 1, 31, 23, 30), "Europe/Berlin")
    with pytest.raises(ValueError, match="time zone"):
        receipt_date(late_evening_utc, "Mars/Olympus")


def test_the_deadline_ends_at_the_last_instant_of_the_local_day():
    end = deadline_end(d("2025-04-07"), "Europe/Berlin")
    assert (end.hour, end.minute, end.second, end.microsecond) == (23, 59, 59, 999999)
    assert end.utcoffset() == timedelta(hours=2)  # summer time in Berlin
    assert end == datetime(2025, 4, 7, 21, 59, 59, 999999, tzinfo=UTC)
    midnight_after = datetime(2025, 4, 7, 22, 0, tzinfo=UTC)  # 00:00 on 8 April in Berlin
    assert midnight_after > end


# --- Extension --------------------------------------------------------------------------------


def test_extension_is_allowed_once_and_only_within_the_month():
    result = due_for("DE-NW", "2025-03-05", pauses=(Pause(d("2025-03-05"), d("2025-03-10")),))
    assert extension_allowed(result, d("2025-04-10"))  # the policy due date itself
    assert not extension_allowed(result, d("2025-04-11"))
    extended = due_for(
        "DE-NW",
        "2025-03-05",
        pauses=(Pause(d("2025-03-05"), d("2025-03-10")),),
        extended_on=d("2025-04-01"),
    )
    assert not extension_allowed(extended, d("2025-04-02"))  # not twice


# --- Explanation ------------------------------------------------------------------------------


def test_explanation_in_english_names_the_facts():
    nw = calendar_for("DE", "NW")
    text = explain(due_for("DE-NW", "2025-03-05"), "en", nw)
    assert "Wednesday 5 March 2025" in text
    assert "Saturday 5 April 2025" in text
    assert "Monday 7 April 2025 at 23:59" in text


def test_explanation_names_the_holiday_and_the_month_end_rule():
    de = calendar_for("DE")
    assert "German Unity Day" in explain(due_for("DE", "2025-09-03"), "en", de)
    text = explain(due_for("DE", "2025-01-31"), "en", de)
    assert "February 2025" in text
    assert "31" in text
    assert "Friday 28 February 2025 at 23:59" in text


def test_explanation_tells_counted_and_ignored_pauses_and_the_extension():
    nw = calendar_for("DE", "NW")
    result = due_for(
        "DE-NW",
        "2025-03-05",
        pauses=(Pause(d("2025-03-05"), d("2025-03-10")), Pause(d("2025-03-11"), d("2025-03-20"))),
        extended_on=d("2025-03-25"),
    )
    text = explain(result, "en", nw)
    assert "5 days" in text
    assert "Tuesday 11 March 2025" in text  # the pause asked too late
    assert "Thursday 5 June 2025" in text  # receipt + 3 months
    assert "Tuesday 10 June 2025 at 23:59" in text  # plus the 5 paused days


def test_explanation_in_german_and_dutch_has_localised_dates():
    nw = calendar_for("DE", "NW")
    result = due_for("DE-NW", "2025-03-05")
    german = explain(result, "de", nw)
    assert "März 2025" in german
    assert "April 2025" in german
    assert "Montag" in german
    assert "Tag der Deutschen Einheit" in explain(due_for("DE", "2025-09-03"), "de", nw)
    dutch = explain(result, "nl", nw)
    assert "maart 2025" in dutch
    assert "april 2025" in dutch
    assert "maandag" in dutch
