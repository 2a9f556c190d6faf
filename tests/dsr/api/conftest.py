"""Fixtures of the JSON API tests: a privacy admin, keys with each scope, a JSON client."""

import json

import pytest
from django.test import Client

from accounts.roles import Role
from dsr.services import api_keys
from tests.factories import make_officer


@pytest.fixture
def privacy_admin(db):
    user, _secret = make_officer(email="admin@example.org", role=Role.ADMIN, with_totp=False)
    return user


@pytest.fixture
def make_key(privacy_admin):
    def make(*scopes: str, name: str = "Call centre", rate: str = "") -> str:
        return api_keys.create_key(
            name=name, scopes=list(scopes), created_by=privacy_admin, rate=rate
        ).token

    return make


class Api:
    """Calls /api/v1/ with a key, as JSON, on-commit work done as it would be."""

    def __init__(self, client: Client, token: str) -> None:
        self.client, self.token = client, token

    def headers(self, language: str = "en") -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path: str, *, language: str = "en", **params):
        return self.client.get(f"/api/v1{path}", params, **self.headers(language))

    def post(self, path: str, data: dict, *, language: str = "en"):
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                f"/api/v1{path}",
                json.dumps(data),
                content_type="application/json",
                **self.headers(language),
            )


@pytest.fixture
def api(client):
    return lambda token: Api(client, token)
