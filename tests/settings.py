"""Test settings: the real services when they are there, embedded fallbacks otherwise.

PostgreSQL and Redis are used when reachable (DATABASE_URL / REDIS_URL, or the local
defaults). With REQUIRE_SERVICES=1 there is no fallback: a missing server makes the tests
that need it fail instead of quietly running on SQLite or being skipped.

Several checkouts on one host share those servers and the temporary folder, so every name a
run creates there carries its run id (DSR_TEST_RUN_ID): the test databases, the source-system
databases of the connector tests, the Redis keys and the scratch folders. The run removes them
at the end (tests/fixtures/isolation.py).
"""

import hashlib
import os
import socket
import sys
import tempfile
from pathlib import Path
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


# The run id is "<checkout>_<pid>": a hash of this checkout's path, so a run finds (and removes)
# what a killed run of the same checkout left behind and never touches another checkout's,
# and the pid of the pytest process that leads the run. Its xdist workers and the processes
# the tests start (a Celery worker, a benchmark) inherit it; a pytest session of its own starts
# a new run, even inside a test (tests/test_require_services.py runs pytest in pytest).
_CHECKOUT = str(Path(__file__).resolve().parents[1])
TEST_CHECKOUT_ID = hashlib.sha256(_CHECKOUT.encode()).hexdigest()[:8]
_INHERIT = os.environ.get("DSR_TEST_WORKER_PROCESS") == "1"  # a worker started by a test
TEST_RUN_OWNER = "DSR_TEST_RUN_ID" not in os.environ or (
    not _INHERIT and "pytest" in sys.modules and "PYTEST_XDIST_WORKER" not in os.environ
)
if TEST_RUN_OWNER:
    os.environ["DSR_TEST_RUN_ID"] = f"{TEST_CHECKOUT_ID}_{os.getpid()}"
TEST_RUN_ID = os.environ["DSR_TEST_RUN_ID"]
# All Redis keys of the run start with this (broker queues, and the cache of the processes
# the tests start with a Redis cache).
TEST_REDIS_PREFIX = f"dsr-test-{TEST_RUN_ID}-"
# One folder per run in the shared temporary folder; each process has its own inside.
TEST_RUN_DIR = Path(tempfile.gettempdir()) / f"dsr-test-{TEST_RUN_ID}"
TEST_RUN_DIR.mkdir(exist_ok=True)
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

_db_url = os.environ.get("DATABASE_URL") or LOCAL_POSTGRES
if REQUIRE_SERVICES or reachable(_db_url):
    os.environ["DATABASE_URL"] = _db_url
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{TEST_RUN_DIR / 'dsr-test.db'}"

_redis_url = os.environ.get("REDIS_URL") or LOCAL_REDIS
TEST_REDIS_URL = _redis_url if (REQUIRE_SERVICES or reachable(_redis_url)) else ""

# Each test process gets its own scratch folder and its own broker key prefix. A worker
# process started by a test shares the test's folder and broker prefix (see
# tests/fixtures/celery.py); every other process, xdist workers included, gets its own.
if not _INHERIT:
    os.environ["DSR_VAR_DIR"] = tempfile.mkdtemp(prefix=f"{_worker}-", dir=TEST_RUN_DIR)
os.environ.pop("REDIS_URL", None)
os.environ.pop("EMAIL_URL", None)
os.environ.setdefault("DJANGO_DEBUG", "true")
# The tests keep their cache in memory; a process they start with REDIS_URL (bench/scale.py)
# would otherwise share the default "dsr" prefix with every checkout and `make run` here.
os.environ["DSR_CACHE_PREFIX"] = f"{TEST_REDIS_PREFIX}cache"
if TEST_REDIS_URL:
    os.environ["CELERY_BROKER_URL"] = TEST_REDIS_URL
    if not _INHERIT:
        os.environ["CELERY_KEY_PREFIX"] = f"{TEST_REDIS_PREFIX}{_worker}-{os.getpid()}:"

from dsr.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    # pytest-django adds the xdist worker ("_gw0"). SQLite tests run in memory.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (  # noqa: F405
        f"test_{DATABASES['default']['NAME']}_{TEST_RUN_ID}"  # noqa: F405
    )
# A per-test cache keeps rate limits and TOTP replay marks from leaking between tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker process a fault test starts may store its mail in the database instead.
EMAIL_BACKEND = os.environ.get(
    "DSR_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
DSR_OUTBOX_PRINT = False
# Tasks run inline unless a test starts the real worker (the celery_worker fixture).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("DSR_TEST_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
PRODUCTION_LOGGING = LOGGING  # type: ignore[used-before-def]  # noqa: F405 - from dsr.settings
# Quiet, unless a test (tests/dsr/test_logs.py) runs a worker with the production logging.
if os.environ.get("DSR_TEST_LOGGING") != "production":
    LOGGING = {"version": 1, "disable_existing_loggers": False}
DSR_DELIVERY_MAX_ATTEMPTS = 3  # eager mode retries at once
# The fake SaaS APIs and in-house services run on loopback, which the egress check refuses
# unless allow-listed (tests of the check itself empty the list).
DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
# Tests post the filing form without first rendering it; tests/dsr/test_filing.py turns the
# form's bot check on.
DSR_INTAKE_FORM_CHECK = False
