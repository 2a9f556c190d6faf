#!/usr/bin/env python
"""Benchmark: the fan-out end to end, through Redis and a real worker process.

A PostgreSQL source system holds three tables (contacts, orders, messages) with 10,000 + 10,000
rows of the subject among 1,000,000 rows of other people. Measured: the time from "verified"
to "all systems answered" for an access request (locate + export, encrypted pages), the same
for an erasure of 1,000 rows, and the worker processes' peak memory (VmHWM).

Needs PostgreSQL (127.0.0.1:5432, user root) and Redis (127.0.0.1:6379). Prints JSON.
Usage: .venv/bin/python bench/fanout.py [--others 1000000] [--subject-rows 10000]
"""

import sys
from pathlib import Path

# bench/ holds queue.py: keep the folder off the path so the standard library's queue is used.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("DSR_BENCH_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432")
REDIS = os.environ.get("DSR_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SUBJECT = "erika.mustermann@example.org"
ERASED = "max.eraser@example.org"

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


def recreate(database: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()


def build_source(url: str, *, others: int, subject_rows: int, erase_rows: int) -> float:
    """Contacts, orders and messages; returns seconds taken. Other people's rows are spread
    over both big tables so the subject's rows are a needle in a haystack."""
    from sqlalchemy import create_engine, text

    started = time.perf_counter()
    engine = create_engine(url)
    people = max(1, others // 20)
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
                " FROM generate_series(3, :people + 2) g"
            ),
            {"people": people},
        )
        conn.execute(
            text("INSERT INTO contacts VALUES (1, :s, 'Erika'), (2, :e, 'Max')"),
            {"s": SUBJECT, "e": ERASED},
        )
        half = others // 2
        conn.execute(
            text(
                "INSERT INTO orders SELECT g, 3 + (g % :people), 'Item ' || g, 9.99, now()"
                " FROM generate_series(1, :n) g"
            ),
            {"people": people, "n": half},
        )
        conn.execute(
            text(
                "INSERT INTO messages SELECT g, 3 + (g % :people), 'Message ' || g, now()"
                " FROM generate_series(1, :n) g"
            ),
            {"people": people, "n": others - half},
        )
        for table, body in (("orders", "'Order ' || g"), ("messages", "'Hello ' || g")):
            conn.execute(
                text(
                    f"INSERT INTO {table} SELECT 10000000 + g, 1, {body}, "
                    f"{'9.99, ' if table == 'orders' else ''}now()"
                    " FROM generate_series(1, :n) g"
                ),
                {"n": subject_rows},
            )
        conn.execute(
            text(
                "INSERT INTO orders SELECT 20000000 + g, 2, 'Order ' || g, 9.99, now()"
                " FROM generate_series(1, :n) g"
            ),
            {"n": erase_rows},
        )
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


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, default=1_000_000)
    parser.add_argument("--subject-rows", type=int, default=10_000)
    parser.add_argument("--erase-rows", type=int, default=1_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    source_url = f"{PG}/dsr_bench_source"
    recreate("dsr_bench_source")
    recreate("dsr_bench")
    seed_seconds = build_source(
        source_url, others=args.others, subject_rows=args.subject_rows, erase_rows=args.erase_rows
    )
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
        "DSR_FOUR_EYES": "",  # one officer approves the benchmark's erasure
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
            "1",
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
        stderr=subprocess.DEVNULL,
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from accounts.models import User
    from dsr.models import ConnectorJob, Status, SubjectRequest
    from dsr.processing.start import start_if_ready
    from dsr.services import verification
    from dsr.services.erasure_approval import approve, locate_phase
    from dsr.services.intake import Intake, SubjectDetails, submit_request

    officer = User.objects.create_user("bench-officer@example.org", "x" * 16)

    def run(right: str, email: str) -> tuple[float, int]:
        item = submit_request(
            intake=Intake(
                rights={right: {}},
                subject=SubjectDetails(email=email),
                language="en",
                channel="post",
            ),
            entered_by=officer,
        )
        verification.verify_manually(item, officer=officer, reason="benchmark")
        started = time.perf_counter()
        if right == "erasure":
            # The locate phase runs on verification: approve once every system has answered.
            while locate_phase(item) not in ("finished", "none"):
                time.sleep(0.05)
            approve(item, officer=officer)
        else:
            start_if_ready(SubjectRequest.objects.get(pk=item.pk))
        while SubjectRequest.objects.get(pk=item.pk).status != Status.IN_REVIEW:
            failed = ConnectorJob.objects.filter(request=item, status="failed").first()
            if failed is not None:
                raise SystemExit(f"job failed: {failed.last_error}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        jobs = ConnectorJob.objects.filter(request=item)
        records = sum(
            int(j.result.get("records", 0) or j.result.get("erased", 0) or 0)
            for j in jobs
            if j.action in ("export", "erase")
        )
        return elapsed, records

    try:
        time.sleep(2)  # the worker starts
        access_seconds, exported = run("access", SUBJECT)
        erase_seconds, erased = run("erasure", ERASED)
        pool = children(worker.pid)
        memory = peak_memory_kib([worker.pid, *pool])
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(
        json.dumps(
            {
                "benchmark": "fanout",
                "source_rows_other_people": args.others,
                "subject_rows": {"orders": args.subject_rows, "messages": args.subject_rows},
                "seed_seconds": round(seed_seconds, 2),
                "access_request_seconds": round(access_seconds, 2),
                "access_records_exported": exported,
                "erasure_rows": args.erase_rows,
                "erasure_request_seconds": round(erase_seconds, 2),
                "erasure_records_deleted": erased,
                "worker_peak_rss_mib": {pid: round(kib / 1024, 1) for pid, kib in memory.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
