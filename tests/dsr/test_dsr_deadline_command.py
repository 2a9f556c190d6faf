"""`manage.py dsr_deadline`: the due dates of a receipt date as one JSON object."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    out = io.StringIO()
    call_command("dsr_deadline", *args, stdout=out)
    return json.loads(out.getvalue())


def run_process(*args, tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dsr.settings", "DSR_VAR_DIR": str(tmp_path)}
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", "dsr_deadline", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def use_controller(settings, country, subdivision):
    settings.DSR_CONTROLLER = {
        "name": "Beispiel GmbH",
        "country": country,
        "subdivision": subdivision,
        "time_zone": "Europe/Berlin",
    }


def test_a_saturday_rolls_to_monday_and_the_extension_counts_from_receipt():
    result = run("2025-03-05", "--country", "DE", "--subdivision", "NW")
    assert result["received"] == "2025-03-05"
    assert result["due"] == "2025-04-07"
    assert result["extended_due"] == "2025-06-05"
    assert "Monday 7 April 2025" in result["explanation"]


def test_paused_days_are_added_before_the_roll():
    result = run("2025-03-05", "--country", "DE", "--subdivision", "NW", "--paused-days", "5")
    assert result["due"] == "2025-04-10"
    assert result["extended_due"] == "2025-06-10"
    assert "5 days" in result["explanation"]


def test_extended_explains_the_extension_and_due_stays_the_one_month_date():
    result = run("2025-03-05", "--country", "DE", "--subdivision", "NW", "--extended")
    assert result["due"] == "2025-04-07"
    assert result["extended_due"] == "2025-06-05"
    assert "Thursday 5 June 2025 at 23:59" in result["explanation"]


def test_the_explanation_language_can_be_chosen():
    result = run("2025-03-05", "--country", "DE", "--language", "de")
    assert "April 2025" in result["explanation"]
    assert "März 2025" in result["explanation"]


@pytest.mark.django_db
def test_the_calendar_defaults_to_the_controllers(settings):
    use_controller(settings, "NL", "")
    assert run("2025-09-03")["due"] == "2025-10-03"  # no German Unity Day in NL


@pytest.mark.django_db
def test_the_controllers_land_applies_unless_a_country_is_given(settings):
    use_controller(settings, "DE", "NW")
    assert run("2025-05-19")["due"] == "2025-06-20"  # Corpus Christi in NW
    assert run("2025-05-19", "--country", "DE")["due"] == "2025-06-19"  # national
    assert run("2025-05-19", "--subdivision", "BE")["due"] == "2025-06-19"


@pytest.mark.parametrize("bad", ["2025-02-30", "05.03.2025", "20250305", "soon"])
def test_a_bad_date_is_refused_clearly(bad):
    with pytest.raises(CommandError, match="RECEIVED"):
        run(bad, "--country", "DE")


def test_an_unknown_calendar_is_refused_clearly():
    with pytest.raises(CommandError, match="country code 'XX'"):
        run("2025-03-05", "--country", "XX")
    with pytest.raises(CommandError, match="not a subdivision"):
        run("2025-03-05", "--country", "DE", "--subdivision", "ZZ")
    with pytest.raises(CommandError, match="negative"):
        run("2025-03-05", "--country", "DE", "--paused-days", "-1")


@pytest.mark.slow
def test_it_runs_as_a_process(tmp_path):
    done = run_process("2025-03-05", "--country", "DE", "--subdivision", "NW", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["received"] == "2025-03-05"
    assert result["due"] == "2025-04-07"
    assert result["extended_due"] == "2025-06-05"
    assert "7 April 2025" in result["explanation"]


@pytest.mark.slow
def test_a_bad_date_fails_the_process_with_a_message(tmp_path):
    done = run_process("2025-13-01", "--country", "DE", tmp_path=tmp_path)
    assert done.returncode != 0
    assert "RECEIVED" in done.stderr
    assert "YYYY-MM-DD" in done.stderr or "not a real date" in done.stderr
    assert done.stdout == ""
