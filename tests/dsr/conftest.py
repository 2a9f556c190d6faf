"""Fixtures of the case-domain tests that build requests over months (statistics, retention)."""

import pytest

from connectors import registry
from dsr.demo import load_demo
from tests.factories import make_officer


@pytest.fixture
def shop(settings, tmp_path):
    """One source system that answers at once (tasks run inline)."""
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "fake")},
        }
    }
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def officer(settings):
    load_demo()  # the supervisory authority that refusals name
    settings.DSR_FOUR_EYES = []  # one officer decides here; four eyes have their own tests
    user, secret = make_officer(email="anna@example.org")
    user.totp_secret = secret  # for the tests that log in
    return user
