"""Schemathesis against /api/v1/schema, in-process through the WSGI app: every operation with
generated (valid and invalid) input never answers 5xx and always answers what the schema
says (status codes, content types, bodies, headers). Bounded: a few examples per operation."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dsr.api.app import api
from dsr.services import api_keys

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _served_schema() -> dict:
    # What /api/v1/schema serves (test_the_schema_page_serves_it checks that it does), built
    # when the tests are collected: the page itself goes through middleware that reads the
    # database, which collection may not touch.
    return json.loads(json.dumps(api.get_openapi_schema(path_params={}), default=str))


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = WSGIHandler()
schema.location = "/api/v1/schema"


@pytest.fixture
def in_test_transaction(db):
    """Like Django's test client: the app's requests must not close the connection the
    test's transaction lives on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def every_scope(privacy_admin, in_test_transaction):
    token = api_keys.create_key(
        name="Schemathesis",
        scopes=["intake", "read", "officer"],
        created_by=privacy_admin,
        rate="100000/60",
    ).token
    # One request to find, so the reads have something to answer besides 404.
    from dsr.services.intake import Intake, SubjectDetails, submit_request

    submit_request(
        intake=Intake(
            rights={"access": {}},
            subject=SubjectDetails(email="erika@example.org"),
            language="en",
            channel="post",
            received_at=timezone.now(),
        ),
        entered_by=privacy_admin,
    )
    return token


@schema.parametrize()
@settings(
    max_examples=8,
    database=None,  # every run draws afresh; nothing is kept between runs
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, every_scope):
    case.call_and_validate(headers={"Authorization": f"Bearer {every_scope}"}, checks=CHECKS)


def test_the_schema_page_serves_it(client, db):
    page = client.get("/api/v1/schema")
    assert page.status_code == 200
    assert page.json() == _served_schema()
    assert page.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_the_schemas_languages_are_the_portals(settings):
    from typing import get_args

    from dsr.api.schemas import LanguageName

    assert set(get_args(LanguageName)) == {code for code, _name in settings.LANGUAGES}
