"""`manage.py dsr_connectors --check` lists the systems and says which one is unreachable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from connectors import registry
from tests.connectors import sources


@pytest.fixture
def two_systems(settings, tmp_path):
    url = sources.database_url("sqlite", "cmd", tmp_path)
    sources.seed(url)
    settings.DSR_CONNECTORS = {
        "chat": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Support chat",
            "CATEGORY": "chat",
            "OPTIONS": {"url": url, "mapping": sources.CHAT_MAPPING},
        },
        "legacy": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Old CRM",
            "OPTIONS": {
                "url": "postgresql+psycopg://root@127.0.0.1:1/gone",
                "mapping": sources.CRM_MAPPING,
            },
        },
    }
    yield
    registry.reset()


def test_the_systems_are_listed_and_checked(two_systems):
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 systems failed"):
        call_command("dsr_connectors", "--check", stdout=out)
    lines = out.getvalue().splitlines()
    assert "chat" in lines[0]
    assert "ok: sqlite, 2 tables" in lines[0]
    assert "export" in lines[0]
    assert "legacy" in lines[1]
    assert "FAILED: ConnectorUnavailable" in lines[1]


def test_a_secret_from_the_environment_must_exist(settings, monkeypatch):
    monkeypatch.delenv("CRM_URL", raising=False)
    settings.DSR_CONNECTORS = {
        "crm": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "OPTIONS": {"url": "env:CRM_URL", "mapping": sources.CRM_MAPPING},
        }
    }
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("dsr_connectors", "--check", stdout=out)
    assert "environment variable CRM_URL is not set" in out.getvalue()
    registry.reset()
