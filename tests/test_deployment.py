"""The production files agree with the code: gunicorn serves the portal with its config, every
Celery queue has a worker in the Procfile, compose.yaml and systemd, and the image's build-time
settings pass the production checks. (Docker itself is not run here.)"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from dsr.celery import QUEUES
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-django-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DSR_ENCRYPTION_KEY": "test-encryption-key",
        "EMAIL_URL": "consolemail://",
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dsr.sqlite3'}",
        **extra,
    }


@pytest.mark.slow
def test_gunicorn_serves_the_portal_with_the_shipped_config(tmp_path):
    env = production_env(tmp_path, GUNICORN_WORKERS="1", GUNICORN_BIND="")
    python = sys.executable
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    gunicorn = Path(python).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "dsr.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        home = None
        for _ in range(100):
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert home is not None
        assert "<html" in home.text
        assert home.headers["X-Content-Type-Options"] == "nosniff"
        assert home.headers["X-Frame-Options"] == "DENY"
        health = httpx.get(
            f"http://127.0.0.1:{port}/healthz", headers={"Accept": "application/json"}, timeout=5
        )  # 503 while no worker answers: still JSON
        assert health.json()["checks"]["database"]["ok"] is True
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "Booting worker" in output
    access = [line for line in output.splitlines() if '"GET"' in line]
    assert len(access) >= 2  # the access log, without paths (tokens live in paths)
    assert not any("/healthz" in line for line in access)


def test_the_gunicorn_config_reads_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert (config["workers"], config["bind"], config["worker_class"]) == (
        3,
        "0.0.0.0:9000",
        "gthread",
    )
    assert config["preload_app"] is True  # processes fork warm from the loaded project
    monkeypatch.setenv("GUNICORN_PRELOAD", "false")
    assert runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["preload_app"] is False
    for field in ("%(q)s", "%(U)s", "%(r)s"):  # signed tokens never reach the log
        assert field not in config["access_log_format"]


def queues_in(commands: list[str]) -> list[str]:
    found: list[str] = []
    for command in commands:
        match = re.search(r"celery -A dsr worker -Q (\S+)", command)
        if match:
            found += match.group(1).split(",")
    return found


def test_every_queue_has_a_worker_in_the_procfile_compose_and_systemd():
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert sorted(queues_in(list(procfile.values()))) == sorted(QUEUES)
    assert "gunicorn -c deploy/gunicorn.conf.py dsr.wsgi" in procfile["web"]
    assert sum("celery -A dsr beat" in command for command in procfile.values()) == 1

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    commands = [service.get("command", "") for service in services.values()]
    assert sorted(queues_in(commands)) == sorted(QUEUES)
    assert {"web", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["web"]["command"] == procfile["web"]

    for path in (ROOT / "deploy" / "systemd").glob("*.service"):
        text = path.read_text()
        # The sandbox lets them write only there: files and static files must go there too.
        assert "ReadWritePaths=/var/lib/dsr" in text, path.name
        assert "Environment=DSR_VAR_DIR=/var/lib/dsr DSR_STATIC_ROOT=/var/lib/dsr/static" in text
    unit = (ROOT / "deploy" / "systemd" / "dsr-worker@.service").read_text()
    assert "celery -A dsr worker -Q %i" in unit
    web = (ROOT / "deploy" / "systemd" / "dsr-web.service").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py dsr.wsgi" in web
    enable = re.search(r"systemctl enable --now (.+)", web)
    assert enable is not None
    assert sorted(
        name.split("@")[1] for name in enable.group(1).split() if "worker@" in name
    ) == sorted(QUEUES)


@pytest.mark.slow
def test_the_image_build_settings_pass_the_production_checks(tmp_path):
    dockerfile = (ROOT / "Dockerfile").read_text()
    build = re.search(r"&& (DJANGO_DEBUG=.+?)\\\n\s+(EMAIL_URL=\S+)", dockerfile)
    assert build is not None
    env = production_env(tmp_path)
    for pair in (*build.group(1).split(), build.group(2)):
        name, value = pair.split("=", 1)
        env[name] = value
    env.pop("DATABASE_URL")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert env["DJANGO_DEBUG"] == "false"  # the manifest production serves from
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert (tmp_path / "static" / "vendor" / "bootstrap" / "bootstrap.min.css").exists()


def test_every_gunicorn_variable_is_documented():
    config = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r'os\.environ\.get\("(GUNICORN_[A-Z_]+)"', config))
    assert names
    assert not [name for name in names if f"# {name}=" not in example]
