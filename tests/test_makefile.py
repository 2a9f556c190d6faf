"""`make run` as a person starts it: the address it serves on is the one its links use."""

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs make (a dry run: it prints the commands, runs none)

ROOT = Path(__file__).resolve().parents[1]


def dry_run(**variables: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DSR_BASE_URL", "DSR_HOST"))}
    env.pop("DSR_PORT", None)
    return subprocess.run(
        ["make", "-n", "run", *(f"{k}={v}" for k, v in variables.items())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_demo_e_mails_link_to_the_port_make_run_serves_on():
    printed = dry_run(DSR_PORT="8123")
    demo = next(line for line in printed.splitlines() if "dsr_demo" in line)
    assert 'DSR_BASE_URL="http://127.0.0.1:8123"' in demo
    assert "http://127.0.0.1:8123/" in printed  # what it says it serves on
    assert 'DSR_BASE_URL="http://127.0.0.1:8123"' in printed.split("honcho")[0].rsplit("echo", 1)[1]


def test_a_configured_base_url_wins():
    printed = dry_run(DSR_BASE_URL="https://privacy.example.com")
    demo = next(line for line in printed.splitlines() if "dsr_demo" in line)
    assert 'DSR_BASE_URL="https://privacy.example.com"' in demo
