#!/usr/bin/env python
"""Benchmark: building the answer package, against the standard library writing the same files.

For each size (10,000 and 1,000,000 records by default) a fresh child process fills encrypted
export pages (as connectors leave them), then builds the package (CSV + data.json + schema +
manifest + report PDF, encrypted into storage) and reports the time and its peak memory
(ru_maxrss). The floor, in a process of its own, writes the same files from the same JSON
lines with the standard library alone: each line parsed, a CSV row with csv.writer and a JSON
record with json.dumps, into a ZIP deflated at the package's level, each file hashed
(SHA-256); no encryption, no PDF. The ratio of the two costs per record (between the smallest
and the largest size, so the fixed costs cancel out) is our overhead. The report PDF is timed
once more on its own, for ``--pdf-size`` records. Runs on SQLite in a temporary folder; prints
JSON.
Usage: .venv/bin/python bench/export.py [--sizes 10000 1000000]
"""

import sys
from pathlib import Path

# bench/ holds queue.py: keep the folder off the path so the standard library's queue is used.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE = 1000


def record(index: int) -> dict[str, object]:
    return {
        "id": index,
        "email": "erika.mustermann@example.org",
        "item": f"Order {index}",
        "amount": "49.90",
        "status": "paid",
        "created": "2026-03-01T12:00:00",
    }


def _setup(folder: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dsr.settings",
            "DSR_VAR_DIR": folder,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "DSR_LOG_LEVEL": "WARNING",
            "DSR_OUTBOX_PRINT": "false",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fill(size: int) -> object:
    from accounts.models import User
    from dsr.models import ConnectorJob
    from dsr.processing.outcomes import store_part
    from dsr.services.intake import Intake, SubjectDetails, submit_request

    officer = User.objects.create_user(f"bench-{size}@example.org", "x" * 16)
    item = submit_request(
        intake=Intake(
            rights={"access": {}},
            subject=SubjectDetails(email="e@example.org"),
            language="en",
            channel="post",
        ),
        entered_by=officer,
    )
    job = ConnectorJob.objects.create(
        request=item, system="shop", action="export", status="succeeded", runs=1
    )
    for start in range(0, size, PAGE):
        lines = "\n".join(json.dumps(record(i)) for i in range(start, min(size, start + PAGE)))
        store_part(
            job,
            category="orders",
            payload=lines.encode(),
            records=min(PAGE, size - start),
            attempt=1,
            sequence=start // PAGE,
        )
    return item


def build_child(folder: str, size: int, queue: "multiprocessing.Queue[dict]") -> None:
    _setup(folder)
    item = _fill(size)
    from dsr.core import pdf
    from dsr.exports import package, report

    pdf.warm(report.STYLESHEET)  # as a worker process is before its first task
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    built = package.build(item)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    queue.put(
        {
            "records": built.records,
            "seconds": round(seconds, 3),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_mib": round(before / 1024, 1),
            "zip_mib": round(built.size / 2**20, 1),
        }
    )


def pdf_child(folder: str, size: int, queue: "multiprocessing.Queue[dict]") -> None:
    """The report alone: the first render of a process (WeasyPrint's imports, fontconfig and
    Pango set up, the stylesheet parsed: what a worker process now does before its first
    task) and the median of five after it."""
    import statistics

    _setup(folder)
    item = _fill(size)
    from dsr.exports.records import parts_by_category
    from dsr.exports.report import render

    manifest = {"systems": {"shop": {"status": "found", "records": size}}}
    times = []
    for _ in range(6):
        started = time.perf_counter()
        pdf = render(item, manifest, parts_by_category(item))  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    queue.put(
        {
            "records": size,
            "first_render_seconds": round(times[0], 3),
            "warm_render_seconds": round(statistics.median(times[1:]), 3),
            "pdf_kib": len(pdf) // 1024,
        }
    )


def floor_child(folder: str, size: int, queue: "multiprocessing.Queue[dict]") -> None:
    import hashlib
    import io
    import zipfile

    _setup(folder)
    from dsr.exports.package import DEFLATE_LEVEL

    pages = [
        "\n".join(json.dumps(record(i)) for i in range(start, min(size, start + PAGE))).encode()
        for start in range(0, size, PAGE)
    ]
    started = time.perf_counter()
    digests = {}
    with zipfile.ZipFile(
        Path(folder) / f"floor-{size}.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL
    ) as archive:
        with archive.open("data/shop/orders.csv", "w") as entry:
            digest = hashlib.sha256()
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(record(0).keys())
            for page in pages:
                for line in page.splitlines():
                    writer.writerow(json.loads(line).values())
                chunk = text.getvalue().encode()
                digest.update(chunk)
                entry.write(chunk)
                text.seek(0)
                text.truncate()
            digests["data/shop/orders.csv"] = digest.hexdigest()
        with archive.open("data.json", "w") as entry:
            digest = hashlib.sha256()
            for page in pages:
                chunk = ", ".join(json.dumps(json.loads(line)) for line in page.splitlines())
                data = chunk.encode()
                digest.update(data)
                entry.write(data)
            digests["data.json"] = digest.hexdigest()
        archive.writestr("manifest.json", json.dumps(digests))
    queue.put(
        {
            "records": size,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


def run(target: object, folder: str, size: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[dict] = context.Queue()
    process = context.Process(target=target, args=(folder, size, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--pdf-size", type=int, default=10_000)
    args = parser.parse_args()
    results: dict[str, object] = {
        "benchmark": "export",
        "machine": {"cores": os.cpu_count(), "load_average_before": os.getloadavg()},
        "package": [],
        "stdlib_floor": [],
    }
    for size in args.sizes:
        folder = tempfile.mkdtemp(prefix="dsr-bench-export-")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dsr.settings",
            "DSR_VAR_DIR": folder,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        results["package"].append(run(build_child, folder, size))  # type: ignore[attr-defined]
        results["stdlib_floor"].append(run(floor_child, folder, size))  # type: ignore[attr-defined]
    folder = tempfile.mkdtemp(prefix="dsr-bench-pdf-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DSR_VAR_DIR": folder,
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    results["report_pdf"] = run(pdf_child, folder, args.pdf_size)
    package, floor = results["package"], results["stdlib_floor"]
    if len(args.sizes) > 1:
        # Per extra record, between the smallest and the largest size: fixed costs cancel.
        def per_record(rows: list[dict]) -> float:
            small, large = rows[0], rows[-1]
            extra = large["records"] - small["records"]
            return (large["seconds"] - small["seconds"]) / extra * 1e6

        ours, theirs = per_record(package), per_record(floor)  # type: ignore[arg-type]
        results["per_record_us"] = {
            "package": round(ours, 2),
            "stdlib_floor": round(theirs, 2),
            "ratio": round(ours / theirs, 2) if theirs > 0 else None,
        }
    results["machine"]["load_average_after"] = os.getloadavg()  # type: ignore[index]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
