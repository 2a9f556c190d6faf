"""Source systems the connector tests share."""

import pytest

from connectors import registry
from tests.connectors import sources


@pytest.fixture
def three_systems(settings, tmp_path):
    """The CRM on PostgreSQL, billing on MariaDB, the support chat on SQLite."""
    urls = {
        "crm": sources.database_url("postgresql", "crm", tmp_path),
        "billing": sources.database_url("mariadb", "billing", tmp_path),
        "chat": sources.database_url("sqlite", "chat", tmp_path),
    }
    for url in urls.values():
        sources.seed(url)
    settings.DSR_CONNECTORS = sources.systems(urls["crm"], urls["billing"], urls["chat"])
    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    yield urls
    registry.reset()


@pytest.fixture
def fake_system(settings, tmp_path):
    def configure(**options):
        settings.DSR_CONNECTORS = {
            "shop": {
                "BACKEND": "connectors.backends.fake.FakeConnector",
                "OPTIONS": {"state_dir": str(tmp_path / "fake"), **options},
            }
        }
        registry.reset()
        return tmp_path / "fake"

    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    yield configure
    registry.reset()
