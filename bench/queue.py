#!/usr/bin/env python
"""Benchmark: the officers' queue page with 100,000 open requests in PostgreSQL.

Every request has a right, a third of them an assignee, one in ten a failed connector job,
one in fifty a paused clock; all are open (the worst case for the queue). Measured: the whole
page (Django test client: middleware, session, MFA gate, queries, template) for several
filters, each asked ``--samples`` times after one warm-up; median and 95th percentile in ms and
the number of SQL queries per page.

Needs PostgreSQL (127.0.0.1:5432, user root). Prints JSON.
Usage: .venv/bin/python bench/queue.py [--requests 100000] [--samples 30]
"""

import sys
from pathlib import Path

# This file is called queue.py: keep its folder off the path so the standard library's
# ``queue`` (used by psycopg, logging, Celery) is the one imported.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

ROOT = HERE.parent
DATABASE = "dsr_bench_queue"
PG = os.environ.get("DSR_BENCH_POSTGRES", "postgres://root@127.0.0.1:5432")

SCENARIOS = {
    "unfiltered": "",
    "overdue": "due=overdue",
    "mine_due_within_7_days": "assignee=me&due=7",
    "failed_jobs_erasure": "failed=on&right=erasure",
    "search_by_email": "q=Person4242%40example.org",
    "language_nl_sorted_by_receipt": "language=nl&sort=-received",
    "page_100": "page=100",
}


def recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()

    recreate()
    os.environ["DATABASE_URL"] = f"{PG}/{DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from dsr.core.clock import today
    from tests.factories import make_officer
    from tests.synthetic import add_requests

    setup_test_environment(debug=False)  # the "testserver" host, as in the tests
    call_command("migrate", verbosity=0)
    anna, _ = make_officer(email="anna@example.org")
    ben, _ = make_officer(email="ben@example.org")
    started = time.perf_counter()
    add_requests(args.requests, on=today(), officers=[anna, ben, None])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    loaded = time.perf_counter() - started

    client = Client()
    client.force_login(anna)
    url = reverse("staff:cases")
    results = {}
    for name, query in SCENARIOS.items():
        client.get(f"{url}?{query}")  # warm-up
        times = []
        for _ in range(args.samples):
            with CaptureQueriesContext(connection) as captured:
                begin = time.perf_counter()
                response = client.get(f"{url}?{query}")
                times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        results[name] = {
            "query": query,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "queries": len(captured),
            "rows_on_page": response.content.count(b"data-reference="),
        }
    print(
        json.dumps(
            {
                "benchmark": "queue",
                "open_requests": args.requests,
                "samples": args.samples,
                "load_seconds": round(loaded, 1),
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
