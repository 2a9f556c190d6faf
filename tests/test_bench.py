"""The benchmarks still run and print their JSON (tiny sizes: speed is measured by hand, the
figures are in the README)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.usefixtures("one_at_a_time_on_this_host"),
]


def bench(script: str, *args: str, timeout: float = 300) -> dict:
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_queue_benchmark():
    report = bench("queue.py", "--requests", "150", "--samples", "2")
    pages = report["pages"]
    assert pages["unfiltered"]["rows_on_page"] == 50
    assert len({page["queries"] for page in pages.values() if page["rows_on_page"]}) == 1
    assert all(page["median_ms"] > 0 for page in pages.values())


@pytest.mark.redis
def test_the_scale_benchmark():
    report = bench("scale.py", "--requests", "3", "--processes", "1")
    access, portability = report["runs"]
    for run, right in ((access, "access"), (portability, "portability")):
        assert (run["right"], run["requests"], run["jobs"]) == (right, 3, 18)
        assert run["requests_per_minute"] > 0
        assert len(run["load_average_after"]) == 3


@pytest.mark.redis
def test_the_fanout_benchmark():
    report = bench(
        "fanout.py",
        *("--others", "500", "--sizes", "5", "20", "--runs", "2"),
        *("--concurrent", "3", "--concurrent-size", "5"),
    )
    assert report["worker"] == {"pool": "prefork", "processes": 2, "warmed": True}
    for right in ("access", "erasure"):
        for size in (5, 20):
            case = report["cases"][f"{right}_{size}"]
            # The contact and M orders and M messages: exported, or erased.
            assert case["records"] == 1 + 2 * size, (right, size)
            for clock in ("submitted_to_answer_seconds", "verified_to_answer_seconds"):
                runs = case[clock]["runs"]
                assert len(runs) == 2
                assert case[clock]["min"] <= case[clock]["median"] <= case[clock]["max"]
                assert all(seconds > 0 for seconds in runs)
            # Filing comes before verifying: the first clock is the longer one.
            assert all(
                a >= b
                for a, b in zip(
                    case["submitted_to_answer_seconds"]["runs"],
                    case["verified_to_answer_seconds"]["runs"],
                    strict=True,
                )
            )
    (batch,) = report["concurrent"]
    assert batch["requests"] == 3
    assert len(batch["verified_to_answer_seconds"]["runs"]) == 3
    assert batch["all_answered_seconds"] >= batch["verified_to_answer_seconds"]["max"]
    memory = report["worker_peak_rss_mib"]
    assert set(memory) == {"after_5", "after_20", "pss_main_and_children_mib"}
    assert len(memory["after_20"]) == 3  # the main process and its 2 children
    assert set(report["machine"]) == {"cores", "load_average", "load_average_before"}


def test_the_export_benchmark():
    report = bench("export.py", "--sizes", "300", "1300", "--pdf-size", "50")
    assert [p["records"] for p in report["package"]] == [300, 1300]
    assert [p["records"] for p in report["stdlib_floor"]] == [300, 1300]
    assert {"package", "stdlib_floor", "ratio"} == report["per_record_us"].keys()
    assert report["report_pdf"]["first_render_seconds"] > 0
    assert report["report_pdf"]["warm_render_seconds"] > 0


@pytest.mark.redis
def test_the_load_benchmark():
    report = bench("load.py", "--subjects", "4", "--officers", "1", "--duration", "8")
    assert report["errors"] == 0, report["error_messages"]
    assert report["users"] == {"subjects": 4, "officers": 1}
    journey = ("intake form", "file request", "check your e-mail", "enter code", "status page")
    work = ("log in (password)", "log in (TOTP)", "queue")
    for name in (*journey, *work, "verification e-mail (worker)"):
        page = report["pages"][name]
        assert page["requests"] >= 1, name
        assert page["errors"] == 0, name
        assert {"p50_ms", "p95_ms", "p99_ms"} <= page.keys()
    assert report["throughput_per_second"] > 0
    assert "DSR_RATE_INTAKE_PER_IP" in report["server"]["rate_limits"]["changed for the benchmark"]
    assert set(report["machine"]) == {
        "cores",
        "load_average_before",
        "load_average_after",
        "cores_busy",
    }
    busy = report["machine"]["cores_busy"]
    assert set(busy) == {"gunicorn", "celery_worker", "load_generator", "postgresql"}
    assert busy["postgresql"] > 0  # the run's own backends were found and did work
    # As nginx's default upstream: a connection per request, served by whichever process is free.
    assert report["server"]["proxy_keepalive"] is False
    assert report["server"]["gunicorn_processes"] >= 2
