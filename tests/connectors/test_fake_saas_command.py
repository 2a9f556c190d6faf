"""The demo can run the fake SaaS APIs: the command starts them and prints a usable config."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from connectors.backends.salesforce import SalesforceConnector
from connectors.backends.stripe_billing import StripeConnector
from connectors.backends.zendesk import ZendeskConnector
from connectors.base import SubjectIdentity

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_command_starts_the_fakes_and_writes_their_configuration(tmp_path):
    config = tmp_path / "saas.yaml"
    env = {
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DSR_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "dsr_fake_saas", "--port", "0", "--write", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            if config.exists() and config.read_text():
                break
            time.sleep(0.1)
        systems = yaml.safe_load(config.read_text())["systems"]
        erika = SubjectIdentity(email="erika.mustermann@example.org")
        classes = {
            "salesforce": SalesforceConnector,
            "stripe": StripeConnector,
            "zendesk": ZendeskConnector,
        }
        for alias, backend in classes.items():
            located = backend(alias, systems[alias]["options"]).locate(erika)
            assert located.found, alias
    finally:
        process.terminate()
        process.wait(timeout=10)
