"""Production mode refuses to start without secrets and passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k7#Qx!2vLp9@Zr4&Wm8^Ts1*Yb6(Nc3)Hd5_Jf0+Gg-Ee=Aa~Uu[Ii]Oo{Pp}"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DSR_"))}
    base.pop("DATABASE_URL", None)
    base.update(DJANGO_SETTINGS_MODULE="dsr.settings", DSR_VAR_DIR=env.pop("DSR_VAR_DIR"))
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production_env(tmp_path):
    return {
        "DSR_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": "privacy.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://privacy.example.com",
        "DSR_ENCRYPTION_KEY": "q0NwJ1Cm0bZC8S6l6cY6c0ZQyS8QvJ5rW4rYp2bX1xI=",
        "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.com:587",
    }


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["DJANGO_SECRET_KEY"]
    result = manage("check", **production_env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_production_refuses_to_start_without_an_encryption_key(production_env):
    del production_env["DSR_ENCRYPTION_KEY"]
    result = manage("check", **production_env)
    assert result.returncode != 0
    assert "DSR_ENCRYPTION_KEY" in result.stderr


@pytest.mark.slow
def test_production_refuses_to_start_without_a_mail_server(production_env):
    del production_env["EMAIL_URL"]
    result = manage("check", **production_env)
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


@pytest.mark.slow
def test_production_passes_check_deploy_without_warnings(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.slow
def test_development_mode_starts_with_nothing_configured(tmp_path):
    result = manage("check", DSR_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_every_setting_read_from_the_environment_is_documented():
    import re

    read = set(
        re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', (ROOT / "dsr/settings.py").read_text())
    )
    documented = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "the pattern no longer finds the settings"
    assert read - documented == set()
