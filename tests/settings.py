"""Test settings: the real services when they are there, embedded fallbacks otherwise.

PostgreSQL and Redis are used when reachable (DATABASE_URL / REDIS_URL, or the local
defaults). With REQUIRE_SERVICES=1 there is no fallback: a missing server makes the tests
that need it fail instead of quietly running on SQLite or being skipped.
"""

import os
import socket
import tempfile
from urllib.parse import urlsplit

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
LOCAL_POSTGRES = "postgres://root@127.0.0.1:5432/dsr"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return True
    except OSError:
        return False


_db_url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
if REQUIRE_SERVICES or reachable(_db_url):
    os.environ["DATABASE_URL"] = _db_url
else:
    os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.gettempdir(), "dsr-test.db")

_redis_url = os.environ.get("REDIS_URL") or LOCAL_REDIS
TEST_REDIS_URL = _redis_url if (REQUIRE_SERVICES or reachable(_redis_url)) else ""

# Each test process gets its own scratch folder and its own broker key prefix.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
# A worker process started by a test shares the test's folder and broker prefix (see
# tests/fixtures/celery.py); every other process, xdist workers included, gets its own.
_INHERIT = os.environ.get("DSR_TEST_WORKER_PROCESS") == "1"
if not _INHERIT:
    os.environ["DSR_VAR_DIR"] = tempfile.mkdtemp(prefix=f"dsr-test-{_worker}-")
os.environ.pop("REDIS_URL", None)
os.environ.pop("EMAIL_URL", None)
os.environ.setdefault("DJANGO_DEBUG", "true")
if TEST_REDIS_URL:
    os.environ["CELERY_BROKER_URL"] = TEST_REDIS_URL
    if not _INHERIT:
        os.environ["CELERY_KEY_PREFIX"] = f"dsr-test-{_worker}-{os.getpid()}:"

from dsr.settings import *  # noqa: E402,F403

# A per-test cache keeps rate limits and TOTP replay marks from leaking between tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DSR_OUTBOX_PRINT = False
# Tasks run inline unless a test starts the real worker (the celery_worker fixture).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("DSR_TEST_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
LOGGING = {"version": 1, "disable_existing_loggers": False}
