"""Fixtures shared by the whole suite: services, a real Celery worker, a browser, the outbox."""

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.helpers import Outbox

# Playwright's sync API runs an event loop in the test thread; the ORM calls in browser tests
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = [
    "tests.fixtures.isolation",
    "tests.fixtures.slow",
    "tests.fixtures.celery",
    "tests.fixtures.redis_server",
    "tests.fixtures.browser",
]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile stale catalogues, so `pytest` alone tests the current translations."""
    import subprocess
    from pathlib import Path

    for po in Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            # Atomic: xdist workers may compile the same catalogue at the same moment.
            tmp = mo.with_suffix(f".{os.getpid()}.tmp")
            subprocess.run(["msgfmt", "--check-format", "-o", str(tmp), str(po)], check=True)
            os.replace(tmp, mo)


def _missing(item: pytest.Item, what: str) -> None:
    message = f"{what} is not available"
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{message}, and REQUIRE_SERVICES=1 makes that an error")
    pytest.skip(message)


def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests.settings import reachable

    if item.get_closest_marker("postgres"):
        db = settings.DATABASES["default"]
        address = f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        if db["ENGINE"] != "django.db.backends.postgresql" or not reachable(address):
            _missing(item, "PostgreSQL")
    if item.get_closest_marker("mariadb") and not reachable("mysql://127.0.0.1:3306"):
        _missing(item, "MariaDB")
    if item.get_closest_marker("redis") and not (
        settings.TEST_REDIS_URL and reachable(settings.TEST_REDIS_URL)
    ):
        _missing(item, "Redis")
    if item.get_closest_marker("browser") and not shutil.which(
        os.environ.get("DSR_CHROMIUM", "/usr/bin/chromium")
    ):
        _missing(item, "Chromium")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A view that switched the language leaves it active in the thread: start each test in
    English, whatever ran before."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outbox(mailoutbox: list) -> Outbox:
    """The e-mails sent during the test, with helpers to find one and follow its links."""
    return Outbox(mailoutbox)
