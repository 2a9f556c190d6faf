#!/usr/bin/env python
"""Benchmark: the fan-out end to end, from filing to the answer, through Redis and a real worker.

A PostgreSQL source system holds three tables (contacts, orders, messages), ``--others`` rows
of other people in each big table. Each benchmarked person has M orders and M chat messages;
M is each of ``--sizes`` (1,000 and 10,000). For access and for erasure at each size,
``--runs`` requests (5), each of a person of its own, one after the other, through one Celery
worker of ``--processes`` prefork processes (2), warmed by one access request first. Two
clocks per request:

- submitted -> answer ready: from before the request is filed (on the officer's form) until
  the answer exists;
- verified -> answer ready: from before the identity is recorded as verified (which starts the
  fan-out) until the answer exists.

The answer of an access request is its package (``AnswerPackage.created_at``, the moment its
row is written, after the ZIP is encrypted and stored); that of an erasure is every system
having erased and the request being handed to the officer (the ``processing_finished``
event). An erasure is approved by the benchmark as soon as every system has been searched
(one officer; the wait for it is polled every 20 ms and counted). Reported per case: median,
minimum, maximum and each run. Then ``--concurrent`` batches (20, 100) of access requests of
``--concurrent-size`` (1,000) records per table filed at once: time until every package
exists. Memory: the worker processes' peak RSS (VmHWM) after each size, and PSS at the end.

Needs PostgreSQL (127.0.0.1:5432, user root) and Redis (127.0.0.1:6379). Prints JSON.
Usage: .venv/bin/python bench/fanout.py [--others 100000] [--sizes 1000 10000] [--runs 5]
"""

import sys
from pathlib import Path

# bench/ holds queue.py: keep the folder off the path so the standard library's queue is used.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("DSR_BENCH_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432")
REDIS = os.environ.get("DSR_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SUBJECT_IDS = 10_000_000  # rows of benchmarked people start here; other people's below

MAPPING = {
    "tables": [
        {
            "name": "contacts",
            "category": "contact",
            "identity": {"email": "email"},
            "erasure": "delete",
        },
        {
            "name": "orders",
            "category": "orders",
            "parent": "contacts",
            "parent_key": "contact_id",
            "erasure": "delete",
        },
        {
            "name": "messages",
            "category": "messages",
            "parent": "contacts",
            "parent_key": "contact_id",
            "erasure": "delete",
        },
    ]
}


@dataclass(frozen=True)
class Person:
    """A benchmarked person: their contact id, e-mail address and rows per table."""

    contact: int
    email: str
    rows: int


def recreate(database: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()


def build_source(url: str, *, others: int, people: list[Person]) -> float:
    """Contacts, orders and messages; returns seconds taken. ``others`` rows of other people
    in each big table, spread over a twentieth as many contacts, so the benchmarked people's
    rows are needles in a haystack."""
    from sqlalchemy import create_engine, text

    started = time.perf_counter()
    engine = create_engine(url)
    contacts = max(1, others // 20)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE contacts (id bigint PRIMARY KEY, email text, name text)"))
        conn.execute(
            text(
                "CREATE TABLE orders (id bigint PRIMARY KEY, contact_id bigint, item text,"
                " amount numeric(10,2), ordered_at timestamptz)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE messages (id bigint PRIMARY KEY, contact_id bigint, body text,"
                " sent_at timestamptz)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO contacts SELECT g, 'person' || g || '@example.org', 'Person ' || g"
                " FROM generate_series(1, :n) g"
            ),
            {"n": contacts},
        )
        conn.execute(
            text(
                "INSERT INTO orders SELECT g, 1 + (g % :c), 'Item ' || g, 9.99, now()"
                " FROM generate_series(1, :n) g"
            ),
            {"c": contacts, "n": others},
        )
        conn.execute(
            text(
                "INSERT INTO messages SELECT g, 1 + (g % :c), 'Message ' || g, now()"
                " FROM generate_series(1, :n) g"
            ),
            {"c": contacts, "n": others},
        )
        first = SUBJECT_IDS
        for person in people:
            conn.execute(
                text("INSERT INTO contacts VALUES (:id, :email, 'Erika')"),
                {"id": person.contact, "email": person.email},
            )
            conn.execute(
                text(
                    "INSERT INTO orders SELECT :first + g, :id, 'Order ' || g, 49.90, now()"
                    " FROM generate_series(1, :n) g"
                ),
                {"first": first, "id": person.contact, "n": person.rows},
            )
            conn.execute(
                text(
                    "INSERT INTO messages SELECT :first + g, :id, 'Hello, it is me ' || g, now()"
                    " FROM generate_series(1, :n) g"
                ),
                {"first": first, "id": person.contact, "n": person.rows},
            )
            first += person.rows
        # What a real system has: keys to find a person's rows without a full scan.
        conn.execute(text("CREATE INDEX ON contacts (lower(email))"))
        conn.execute(text("CREATE INDEX ON orders (contact_id)"))
        conn.execute(text("CREATE INDEX ON messages (contact_id)"))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def peak_memory_kib(pids: list[int]) -> dict[str, int]:
    peaks = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[str(pid)] = int(line.split()[1])
        except FileNotFoundError:
            continue
    return peaks


def pss_kib(pids: list[int]) -> int:
    """Proportional set size: shared pages counted once between the processes."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, PermissionError):
            continue
    return total


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def summary(seconds: list[float]) -> dict[str, object]:
    return {
        "median": round(statistics.median(seconds), 3),
        "min": round(min(seconds), 3),
        "max": round(max(seconds), 3),
        "runs": [round(s, 3) for s in seconds],
    }


def machine() -> dict[str, object]:
    return {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, default=100_000, help="other people's rows per table")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrent", type=int, nargs="*", default=[20, 100])
    parser.add_argument("--concurrent-size", type=int, default=1_000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    people: dict[tuple[str, int], list[Person]] = {}
    everyone: list[Person] = []

    def add(key: tuple[str, int], count: int, rows: int) -> None:
        for run in range(count):
            person = Person(
                SUBJECT_IDS + len(everyone), f"{key[0]}-{key[1]}-{run}@example.org", rows
            )
            people.setdefault(key, []).append(person)
            everyone.append(person)

    add(("warm", 0), 1, min(args.sizes))
    for size in args.sizes:
        add(("access", size), args.runs, size)
        add(("erasure", size), args.runs, size)
    for batch in args.concurrent:
        add(("concurrent", batch), batch, args.concurrent_size)

    work = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    source_url = f"{PG}/dsr_bench_source"
    recreate("dsr_bench_source")
    recreate("dsr_bench")
    load_before = machine()
    seed_seconds = build_source(source_url, others=args.others, people=everyone)
    import yaml

    config = work / "connectors.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    "shop": {
                        "backend": "connectors.backends.sql.SQLConnector",
                        "name": "Shop",
                        "options": {"url": source_url, "mapping": MAPPING, "batch_size": 1000},
                    }
                }
            }
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DATABASE_URL": "postgres://root@127.0.0.1:5432/dsr_bench",
        "REDIS_URL": REDIS,
        "CELERY_KEY_PREFIX": f"dsr-bench-{os.getpid()}:",
        "DSR_CONNECTORS_FILE": str(config),
        "DSR_VAR_DIR": str(work),
        "EMAIL_URL": "dummymail://",
        "DSR_OUTBOX_PRINT": "false",
        "DSR_LOG_LEVEL": "WARNING",
        "DSR_FOUR_EYES": "",  # one officer approves the benchmark's erasures
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dsr",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(args.processes),
            "--queues",
            "default,connectors,exports",
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "worker.log").open("ab"),  # warnings and errors: look here on a failure
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from accounts.models import User
    from dsr.models import AnswerPackage, ConnectorJob, EventKind, JobStatus, SubjectRequest
    from dsr.services import verification
    from dsr.services.erasure_approval import approve, locate_phase
    from dsr.services.intake import Intake, SubjectDetails, submit_request

    officer = User.objects.create_user("bench-officer@example.org", "x" * 16)

    def file(right: str, person: Person) -> tuple[SubjectRequest, float, float]:
        """File and verify; the two clocks' starts (wall clock, seconds since the epoch)."""
        submitted = time.time()
        item = submit_request(
            intake=Intake(
                rights={right: {}},
                subject=SubjectDetails(email=person.email),
                language="en",
                channel="post",
                extra={"send_verification": False},
            ),
            entered_by=officer,
        )
        verified = time.time()
        verification.verify_manually(item, officer=officer, reason="benchmark")
        return item, submitted, verified

    def check(ids: list[int], started: float) -> None:
        failed = ConnectorJob.objects.filter(request_id__in=ids, status=JobStatus.FAILED).first()
        if failed is not None:
            raise SystemExit(f"job failed: {failed.last_error}; see {work / 'worker.log'}")
        if time.perf_counter() - started > args.timeout:
            raise SystemExit(f"timed out; see {work / 'worker.log'}")

    def answered_at(item: SubjectRequest, right: str) -> float | None:
        if right == "erasure":
            event = item.events.filter(kind=EventKind.PROCESSING_FINISHED).first()
            return event.at.timestamp() if event else None
        package = AnswerPackage.objects.filter(request=item).first()
        return package.created_at.timestamp() if package else None

    def one(right: str, person: Person) -> tuple[float, float, int]:
        started = time.perf_counter()
        item, submitted, verified = file(right, person)
        if right == "erasure":
            # The locate phase runs on verification: approve once every system has answered.
            while locate_phase(item) not in ("finished", "none"):
                check([item.pk], started)
                time.sleep(0.02)
            approve(SubjectRequest.objects.get(pk=item.pk), officer=officer)
        while (done := answered_at(item, right)) is None:
            check([item.pk], started)
            time.sleep(0.1)  # the clock is the row's own time: the poll only waits
        jobs = ConnectorJob.objects.filter(request=item, action__in=("export", "erase"))
        records = sum(
            int(j.result.get("records", 0) or j.result.get("erased", 0) or 0) for j in jobs
        )
        return done - submitted, done - verified, records

    results: dict[str, object] = {}
    memory: dict[str, object] = {}
    try:
        time.sleep(3)  # the worker starts and its processes warm up
        one("access", people[("warm", 0)][0])  # a warm worker: its first task is behind it
        for size in args.sizes:
            for right in ("access", "erasure"):
                runs = [one(right, person) for person in people[(right, size)]]
                results[f"{right}_{size}"] = {
                    "right": right,
                    "records_per_table": size,
                    "records": runs[0][2],
                    "submitted_to_answer_seconds": summary([r[0] for r in runs]),
                    "verified_to_answer_seconds": summary([r[1] for r in runs]),
                    "load_average_after": machine()["load_average"],
                }
            memory[f"after_{size}"] = {
                pid: round(kib / 1024, 1)
                for pid, kib in peak_memory_kib([worker.pid, *children(worker.pid)]).items()
            }
        batches = []
        for batch in args.concurrent:
            started, clock = time.perf_counter(), time.time()
            filed = [file("access", person) for person in people[("concurrent", batch)]]
            ids = [item.pk for item, _, _ in filed]
            while (
                AnswerPackage.objects.filter(request_id__in=ids)
                .values("request_id")
                .distinct()
                .count()
                < batch
            ):
                check(ids, started)
                time.sleep(0.5)
            packages = dict(
                AnswerPackage.objects.filter(request_id__in=ids).values_list(
                    "request_id", "created_at"
                )
            )
            last = max(p.timestamp() for p in packages.values())
            batches.append(
                {
                    "requests": batch,
                    "records_per_table": args.concurrent_size,
                    "all_answered_seconds": round(last - clock, 2),
                    "requests_per_minute": round(batch / (last - clock) * 60, 1),
                    "verified_to_answer_seconds": summary(
                        [packages[item.pk].timestamp() - verified for item, _, verified in filed]
                    ),
                    "load_average_after": machine()["load_average"],
                }
            )
        pool = children(worker.pid)
        memory["pss_main_and_children_mib"] = round(pss_kib([worker.pid, *pool]) / 1024, 1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(
        json.dumps(
            {
                "benchmark": "fanout",
                "worker": {"pool": "prefork", "processes": args.processes, "warmed": True},
                "source_rows_other_people_per_table": args.others,
                "seed_seconds": round(seed_seconds, 2),
                "runs_per_case": args.runs,
                "cases": results,
                "concurrent": batches,
                "worker_peak_rss_mib": memory,
                "machine": {**machine(), "load_average_before": load_before["load_average"]},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
