"""`make test` falls back without servers; with REQUIRE_SERVICES=1 their absence fails tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REDIS_TEST = "tests/dsr/test_celery.py::test_a_task_sent_through_redis_is_run_by_a_real_worker"
POSTGRES_TEST = "tests/dsr/test_outbox.py::test_old_outbox_mail_is_purged"
DEAD = "127.0.0.1:1"  # nothing listens on port 1


def run_pytest(test: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    clean.pop("REQUIRE_SERVICES", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", test],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_a_missing_redis_is_a_skip_by_default():
    result = run_pytest(REDIS_TEST, REDIS_URL=f"redis://{DEAD}/0")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout


@pytest.mark.slow
def test_a_missing_redis_fails_under_require_services():
    result = run_pytest(REDIS_TEST, REDIS_URL=f"redis://{DEAD}/0", REQUIRE_SERVICES="1")
    assert result.returncode == 1, result.stdout
    assert "Redis is not available, and REQUIRE_SERVICES=1 makes that an error" in result.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_a_missing_postgres_fails_under_require_services():
    result = run_pytest(
        POSTGRES_TEST, DATABASE_URL=f"postgres://root@{DEAD}/dsr", REQUIRE_SERVICES="1"
    )
    assert result.returncode != 0, result.stdout
    assert "passed" not in result.stdout.splitlines()[-1]


@pytest.mark.postgres
def test_the_suite_runs_on_postgres_when_it_is_there():
    from django.db import connection

    assert connection.vendor == "postgresql"
