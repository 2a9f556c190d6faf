"""The fault suite (issue 14): a batch of requests through a real worker process on a Redis of
the test's own, while something breaks: a worker SIGKILLed during a connector job, a package
build and a letter; Redis stopped while requests are filed and during a fan-out, restarted
empty; every PostgreSQL connection of the test database cut mid-run; a vendor failing for a
while. The test process plays beat: it runs the two sweeps every half second.

After each: every request reaches its state (in review, with its package for access), every
owed e-mail is sent exactly once (the sent deliveries and the stored mail agree, no Message-ID
twice), no change is made twice in the source system. Each run appends its figures to
``$DSR_FAULT_REPORT`` when set (the README's Reliability table comes from there).
"""

import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection

from connectors import registry
from connectors.backends.fake import effects
from dsr.core import taskqueue
from dsr.models import (
    AnswerPackage,
    ConnectorJob,
    Delivery,
    DeliveryState,
    JobStatus,
    OutboxMessage,
    Status,
    SubjectRequest,
)
from dsr.processing import sweep
from dsr.services import verification
from tests.factories import make_officer, submit
from tests.fixtures.celery import broker_at, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BATCH = 3  # requests of each kind: access (a package) and objection (a change)
MAIL = "tests.fakes.mail.SlowOutboxBackend"
RECOVER_TIMEOUT = 120.0


class Rig:
    def __init__(self, redis: Any, start: Callable[..., Any], folder: Path, settings: Any):
        self.redis = redis
        self.start = start
        self.state = folder / "fake"
        self.config = folder / "connectors.yaml"
        self.settings = settings
        self.items: list[SubjectRequest] = []
        self.officer = make_officer(with_totp=False)[0]

    def configure(self, **options: Any) -> None:
        self.config.write_text(
            yaml.safe_dump(
                {
                    "systems": {
                        "shop": {
                            "backend": "connectors.backends.fake.FakeConnector",
                            "options": {"state_dir": str(self.state), **options},
                        }
                    }
                }
            )
        )
        self.settings.DSR_CONNECTORS_FILE = str(self.config)
        registry.reset()

    def worker(self, **env: str) -> Any:
        return self.start(
            REDIS_URL=self.redis.url,
            DSR_CONNECTORS_FILE=str(self.config),
            DSR_TEST_EMAIL_BACKEND=MAIL,
            DSR_JOB_LEASE_SECONDS="3",
            DSR_DELIVERY_LEASE_SECONDS="8",
            DSR_DELIVERY_BACKOFF_SECONDS="1",
            DSR_DELIVERY_BACKOFF_MAX_SECONDS="2",
            **env,
        )

    def file(self, count: int = BATCH) -> list[SubjectRequest]:
        filed = []
        for n in range(len(self.items), len(self.items) + count):
            filed.append(submit(email=f"access{n}@example.org"))
            filed.append(
                submit(
                    right="objection",
                    details={"kind": "direct_marketing"},
                    email=f"objection{n}@example.org",
                )
            )
        self.items += filed
        return filed

    def verify(self, items: list[SubjectRequest]) -> None:
        for item in items:
            verification.verify_manually(item, officer=self.officer, reason="Known customer")

    def beat(self) -> None:
        """What beat does every minute, done often: both sweeps. A sweep during an outage
        fails as beat's would, and runs again."""
        with contextlib.suppress(Exception):
            sweep.sweep()
        with contextlib.suppress(Exception):
            taskqueue.sweep_deliveries()
        connection.close_if_unusable_or_obsolete()

    def settled(self) -> bool:
        try:
            return not self.problems(final=False)
        except Exception:
            connection.close()
            return False

    def problems(self, *, final: bool = True) -> dict[str, Any]:
        found: dict[str, Any] = {}
        ids = [item.pk for item in self.items]
        not_there = SubjectRequest.objects.filter(pk__in=ids).exclude(status=Status.IN_REVIEW)
        if not_there.exists():
            found["lost"] = list(not_there.values_list("reference", "status"))
        without = [
            item.reference
            for item in SubjectRequest.objects.filter(pk__in=ids, requested_rights__right="access")
            if not AnswerPackage.objects.filter(request=item, deleted_at__isnull=True).exists()
        ]
        if without:
            found["no_package"] = without
        unsent = Delivery.objects.exclude(label="package").exclude(state=DeliveryState.SENT)
        if unsent.exists():
            found["unsent"] = list(unsent.values_list("label", "state", "error"))
        if final:
            found |= self.wrong()
        return found

    def wrong(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        ids = [item.pk for item in self.items]
        wrongly = (
            SubjectRequest.objects.filter(pk__in=ids, status=Status.IN_REVIEW)
            .filter(jobs__status__in=[JobStatus.FAILED, JobStatus.QUEUED, JobStatus.RUNNING])
            .distinct()
        )
        if wrongly.exists():
            found["wrongly_completed"] = list(wrongly.values_list("reference", flat=True))
        ids_sent = Counter(OutboxMessage.objects.values_list("message_id", flat=True))
        twice = {mid: n for mid, n in ids_sent.items() if n > 1 or not mid}
        if twice:
            found["mail_twice"] = twice
        sent = set(
            Delivery.objects.exclude(label="package")
            .filter(state=DeliveryState.SENT)
            .values_list("message_id", flat=True)
        )
        if sent != set(ids_sent):
            found["mail_mismatch"] = {"deliveries": len(sent), "stored": len(ids_sent)}
        changes = Counter((e["action"], e["email"]) for e in effects(self.state))
        if any(n > 1 for n in changes.values()):
            found["changed_twice"] = {f"{a} {e}": n for (a, e), n in changes.items() if n > 1}
        return found

    def recover(self, fault: str, since: float) -> None:
        deadline = time.monotonic() + RECOVER_TIMEOUT
        while time.monotonic() < deadline and not self.settled():
            self.beat()
            time.sleep(0.5)
        recovered = time.monotonic() - since
        problems = self.problems()
        figures = {
            "fault": fault,
            "requests": len(self.items),
            "lost": len(problems.get("lost", [])) + len(problems.get("no_package", [])),
            "wrongly_completed": len(problems.get("wrongly_completed", [])),
            "duplicates": len(problems.get("mail_twice", {}))
            + len(problems.get("changed_twice", {})),
            "emails": OutboxMessage.objects.count(),
            "recovered_seconds": round(recovered, 1),
        }
        report = os.environ.get("DSR_FAULT_REPORT")
        if report:
            with open(report, "a", encoding="utf-8") as out:
                out.write(json.dumps(figures) + "\n")
        assert not problems, f"{fault}: {problems}"


@pytest.fixture
def rig(redis_server, worker_process, tmp_path, settings) -> Iterator[Rig]:
    from dsr.celery import app

    redis_server.start()
    settings.EMAIL_BACKEND = MAIL
    settings.DSR_DELIVERY_GRACE_SECONDS = 2
    settings.DSR_JOB_DISPATCH_GRACE_SECONDS = 3
    OutboxMessage.objects.all().delete()
    with broker_at(redis_server.url):
        rig = Rig(redis_server, worker_process, tmp_path, settings)
        rig.configure()
        app.conf.task_always_eager = False
        try:
            yield rig
        finally:
            app.conf.task_always_eager = True
            registry.reset()


def _first(predicate: Callable[[], object], timeout: float = 60) -> None:
    wait_for(predicate, timeout=timeout, interval=0.05)


WHOM = {
    "pool": "the worker's pool process",
    "main": "the worker's main process with its pool",
}


def _kill(rig: Rig, worker: Any, whom: str) -> float:
    """SIGKILL the pool process (its main process starts another) or the whole worker (a new
    one is started, as systemd would); returns when the fault ended."""
    if whom == "pool":
        for pid in worker.children():
            os.kill(pid, signal.SIGKILL)
        return time.monotonic()
    worker.kill()
    since = time.monotonic()
    rig.worker()
    return since


@pytest.mark.parametrize("whom", WHOM)
def test_a_worker_killed_during_a_connector_job(rig, whom):
    rig.configure(slow=2)
    worker = rig.worker()
    items = rig.file()
    rig.verify(items)
    _first(lambda: ConnectorJob.objects.filter(status=JobStatus.RUNNING).exists())
    since = _kill(rig, worker, whom)
    rig.recover(f"{WHOM[whom]} SIGKILLed during a connector job", since)


@pytest.mark.parametrize("whom", WHOM)
def test_a_worker_killed_during_a_package_build(rig, whom):
    worker = rig.worker()
    items = rig.file()
    rig.verify(items)
    _first(lambda: Delivery.objects.filter(label="package", state=DeliveryState.SENDING).exists())
    since = _kill(rig, worker, whom)
    rig.recover(f"{WHOM[whom]} SIGKILLed during a package build", since)


@pytest.mark.parametrize("whom", WHOM)
def test_a_worker_killed_while_it_sends_a_letter(rig, whom):
    worker = rig.worker(DSR_TEST_MAIL_SECONDS="2")
    items = rig.file(1)
    rig.verify(items)
    _first(lambda: Delivery.objects.filter(label="verified", state=DeliveryState.SENDING).exists())
    since = _kill(rig, worker, whom)  # in the middle of the SMTP conversation
    rig.recover(f"{WHOM[whom]} SIGKILLed while it sends a letter", since)


def test_redis_stopped_while_requests_are_filed_and_during_a_fan_out(rig):
    rig.worker()
    rig.redis.stop()
    filed = rig.file()  # the normal answer; the confirmations are owed
    rig.verify(filed)
    rig.redis.start()  # back, empty
    rig.beat()
    more = rig.file()
    rig.verify(more)
    rig.redis.stop()  # during their fan-out: queued jobs and owed mail are lost with it
    time.sleep(2)
    rig.redis.start()
    rig.recover(
        "Redis stopped while filing and during a fan-out, restarted empty", time.monotonic()
    )


def test_postgresql_connections_cut_mid_run(rig):
    rig.configure(slow=0.5)
    rig.worker()
    items = rig.file()
    rig.verify(items)
    _first(lambda: ConnectorJob.objects.filter(status=JobStatus.RUNNING).exists())
    for _ in range(3):  # what a PostgreSQL restart does to every open connection
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(0.7)
    rig.recover("every PostgreSQL connection of the database cut, three times", time.monotonic())


def test_a_vendor_failing_for_a_while(rig):
    rig.configure(transient_failures=3, retry_after=1)
    rig.worker()
    items = rig.file()
    rig.verify(items)
    rig.recover("the source system answers 'unavailable' three times per action", time.monotonic())
