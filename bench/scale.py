#!/usr/bin/env python
"""Benchmark: how the fan-out scales with worker processes.

``--requests`` requests (default 1,000) of each of ``--rights`` (access and portability), each
over three systems (the demo's CRM, billing and support chat, SQLite databases read through
the SQL connector, holding every requester), are verified by an officer while no worker runs;
then one Celery worker with 1, 2 and 4 processes (prefork) takes them from Redis. Measured
from the worker's start until every request of the batch has its answer package: requests per
minute. Each request is 6 connector jobs (locate + export per system), the officer's
confirmation letter (with its PDF copy) and the package (ZIP, encrypted); an access package
holds the report PDF too, a portability one has none. PostgreSQL holds the portal; a fresh
batch for each run.

Needs PostgreSQL (127.0.0.1:5432, user root) and Redis (127.0.0.1:6379). Prints JSON.
Usage: .venv/bin/python bench/scale.py [--requests 1000] [--processes 1 2 4]
       [--rights access portability]
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
PG = os.environ.get("DSR_BENCH_POSTGRES", "postgres://root@127.0.0.1:5432")
REDIS = os.environ.get("DSR_BENCH_REDIS", "redis://127.0.0.1:6379/0")
DATABASE = "dsr_bench_scale"


def recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def people(count: int) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            f"person{n}@example.org",
            f"Person {n}",
            f"OTC-{n:06d}",
            "+49 228 555 0100",
            f"Street {n}",
            "53113 Bonn",
        )
        for n in range(count)
    ]


def worker(env: dict[str, str], processes: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
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
            str(processes),
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
        stderr=log.open("ab"),  # warnings and errors only: look here if a run times out
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rights", nargs="+", default=["access", "portability"])
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]
    work = Path(tempfile.mkdtemp(prefix="dsr-bench-scale-"))
    recreate()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "REDIS_URL": REDIS,
        "CELERY_KEY_PREFIX": f"dsr-bench-scale-{os.getpid()}:",
        "DSR_VAR_DIR": str(work),
        "DSR_CONNECTORS_FILE": str(work / "demo" / "connectors.yaml"),
        "EMAIL_URL": "dummymail://",
        "DSR_OUTBOX_PRINT": "false",
        "DSR_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    # No system checks yet: they load every connector, and the file is written further down.
    migrate = [sys.executable, "manage.py", "migrate", "-v0", "--skip-checks"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from accounts.models import User
    from dsr import demo_systems
    from dsr.demo import load_demo
    from dsr.models import AnswerPackage, ConnectorJob, JobStatus, SubjectRequest
    from dsr.services import verification
    from dsr.services.intake import Intake, SubjectDetails, submit_request

    cases = [(right, processes) for right in args.rights for processes in args.processes]
    total = args.requests * len(cases)
    demo_systems.PEOPLE[:] = people(total)  # every requester is in all three systems
    demo_systems.build(work / "demo")
    load_demo()  # the register: which systems' data is portable
    officer = User.objects.get(email="officer@demo.example")

    results = []
    for run, (right, processes) in enumerate(cases):
        batch = []
        started = time.perf_counter()
        for n in range(run * args.requests, (run + 1) * args.requests):
            item = submit_request(
                intake=Intake(
                    rights={right: {}},
                    subject=SubjectDetails(email=f"person{n}@example.org"),
                    language="en",
                    channel="post",
                    extra={"send_verification": False},
                ),
                entered_by=officer,
            )
            verification.verify_manually(item, officer=officer, reason="benchmark")
            batch.append(item.pk)
        queued = time.perf_counter() - started
        process = worker(env, processes, work / "worker.log")
        started = time.perf_counter()
        done = 0
        try:
            while done < len(batch):
                if time.perf_counter() - started > args.timeout:
                    raise SystemExit(f"timed out with {done} of {len(batch)} answered")
                failed = ConnectorJob.objects.filter(
                    request_id__in=batch, status=JobStatus.FAILED
                ).first()
                if failed is not None:
                    raise SystemExit(f"job failed: {failed.last_error}")
                time.sleep(0.5)
                done = (
                    AnswerPackage.objects.filter(request_id__in=batch)
                    .values("request_id")
                    .distinct()
                    .count()
                )
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=120)
        jobs = ConnectorJob.objects.filter(request_id__in=batch).count()
        assert SubjectRequest.objects.filter(pk__in=batch, status="in_review").count() == len(batch)
        results.append(
            {
                "right": right,
                "processes": processes,
                "requests": len(batch),
                "jobs": jobs,
                "seconds": round(elapsed, 1),
                "requests_per_minute": round(len(batch) / elapsed * 60, 1),
                "filing_and_verifying_seconds": round(queued, 1),
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    print(
        json.dumps(
            {
                "benchmark": "scale",
                "systems": ["crm", "billing", "chat"],
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "runs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
