"""The portal as OpenDSR processor: a registered controller's signed requests become portal
requests, with the specification's answers, errors and signed status callbacks."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from connectors import registry
from connectors.webhook import OPENGDPR, SIGNATURE, TIMESTAMP, sign, verify
from dsr.models import (
    Channel,
    Delivery,
    OpenDSRController,
    OpenDSRRequest,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.services import opendsr_inbound
from tests.factories import PASSWORD, make_officer
from tests.fakes.base import FakeServer, Request, Response
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

ERIKA = "erika@example.org"


@pytest.fixture
def shop(settings, tmp_path):
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": "Shop",
            "OPTIONS": {"state_dir": str(tmp_path / "fake"), "known": [ERIKA]},
        },
        "newsletter": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": "Newsletter",
            "OPTIONS": {"state_dir": str(tmp_path / "fake2")},
        },
    }
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def controller(shop, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["controller.example"]
    settings.DSR_BASE_URL = "https://dsr.example"
    registered = OpenDSRController(
        name="Beispiel GmbH", domain="controller.example", language="de", systems=["shop"]
    )
    credentials = opendsr_inbound.issue_credentials(registered)
    registered.save()
    registered.credentials = credentials
    return registered


def payload(**changes):
    body = {
        "regulation": "gdpr",
        "subject_request_id": str(uuid.uuid4()),
        "subject_request_type": "access",
        "submitted_time": "2026-12-01T15:00:00Z",
        "subject_identities": [
            {"identity_type": "email", "identity_value": ERIKA, "identity_format": "raw"}
        ],
        "api_version": "2.0",
        "status_callback_urls": ["https://controller.example/opendsr/callbacks"],
        "extensions": {},
    }
    return body | changes


def call(
    controller, method, path, body=b"", *, secret=None, token=None, names=None, timestamp=None
):
    headers = sign(
        secret or controller.credentials.secret,
        body,
        timestamp,
        **({"version": names} if names else {}),
    )
    headers["Authorization"] = f"Bearer {token or controller.credentials.token}"
    return Client().generic(method, path, body, content_type="application/json", headers=headers)


def post(controller, body, **kwargs):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(controller, "POST", "/opendsr/v1/requests", raw, **kwargs)


def test_the_discovery_says_what_we_take():
    document = Client().get("/opendsr/v1/discovery").json()
    assert document["api_version"] == "2.0"
    assert document["supported_subject_request_types"] == ["access", "portability", "erasure"]
    assert {"identity_type": "email", "identity_format": "raw"} in document["supported_identities"]
    assert Client().get("/opendsr/discovery").json()["api_version"] == "1.0"


def test_a_request_with_a_bad_signature_is_refused_before_its_body_is_parsed(controller):
    """Not JSON at all: parsed first, it would be a 400; refused first, it is a 403."""
    refused = post(controller, b"{not json", secret="not-the-secret")
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "InvalidSignature"
    unsigned = Client().post(
        "/opendsr/v1/requests",
        b"{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {controller.credentials.token}"},
    )
    assert unsigned.status_code == 403
    assert post(controller, b"{not json").status_code == 400  # signed: now it is read
    assert not SubjectRequest.objects.exists()


def test_an_unknown_token_is_refused(controller):
    assert post(controller, payload(), token="guessed").status_code == 401
    controller.active = False
    controller.save()
    assert post(controller, payload()).status_code == 401


def test_a_request_becomes_a_verified_portal_request_of_the_controller(controller, outbox):
    body = payload()
    raw = json.dumps(body).encode()
    created = post(controller, raw)
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["subject_request_id"] == body["subject_request_id"]
    assert answer["controller_id"] == "controller.example"
    assert base64.b64decode(answer["encoded_request"]) == raw
    for field in ("expected_completion_time", "received_time"):
        assert answer[field].endswith("Z")
    # Signed as the specification's text requires, though its create example shows no
    # processor_signature: base64 HMAC-SHA256 of the other fields as canonical JSON.
    unsigned = {k: v for k, v in answer.items() if k != "processor_signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()
    expected = hmac.new(controller.credentials.secret.encode(), canonical, hashlib.sha256)
    assert answer["processor_signature"] == base64.b64encode(expected.digest()).decode()
    assert created.headers["X-OpenDSR-Processor-Domain"] == "dsr.example"
    assert (
        created.headers[SIGNATURE]
        == sign(controller.credentials.secret, created.content, int(created.headers[TIMESTAMP]))[
            SIGNATURE
        ]
    )

    item = SubjectRequest.objects.get()
    assert item.channel == Channel.OPENDSR
    assert item.language == "de"
    assert item.verification_method == VerificationMethod.CONTROLLER
    assert item.opendsr.controller == controller
    # Only the system registered for this controller is asked.
    assert {job.system for job in item.jobs.all()} == {"shop"}
    # We are the controller's processor: the person gets no e-mail from us.
    assert outbox.to(ERIKA) == []
    assert item.status == Status.IN_REVIEW
    # The officer sees who sent it.
    officer, secret = make_officer()
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "OpenDSR (sent by Beispiel GmbH, whose processor we are)" in page


def test_the_specifications_own_example_with_a_trailing_comma_is_not_json(controller):
    """Section 7.2's example has a trailing comma in its extensions; the text asks for JSON,
    so we follow the text: the example is refused as malformed, without echoing it."""
    example = (
        b'{"regulation": "gdpr", "subject_request_id": "a7551968-d5d6-44b2-9831-815ac9017798",'
        b' "subject_request_type": "erasure", "submitted_time": "2018-10-02T15:00:00Z",'
        b' "subject_identities": [{"identity_type": "email", "identity_value":'
        b' "johndoe@example.com", "identity_format": "raw"}], "api_version": "2.0",'
        b' "extensions": {"example-processor.com": {"foo-processor-custom-id":123456,'
        b' "property_id": "123456",}}}'
    )
    refused = post(controller, example)
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "MalformedJson"
    assert b"johndoe" not in refused.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"regulation": "hipaa"}, "regulation must be gdpr or ccpa"),
        ({"subject_request_id": "A7551968-D5D6-44B2-9831-815AC9017798"}, "lowercase UUID v4"),
        ({"subject_request_id": str(uuid.uuid1())}, "lowercase UUID v4"),
        ({"subject_request_type": "rectify"}, "subject_request_type must be"),
        ({"submitted_time": "yesterday"}, "RFC 3339"),
        (
            {
                "subject_identities": [
                    {"identity_type": "email", "identity_value": ERIKA, "identity_format": "rot13"}
                ]
            },
            "identity_format is not supported",
        ),
        (
            {
                "subject_identities": [
                    {
                        "identity_type": "email",
                        "identity_value": hashlib.sha256(ERIKA.encode()).hexdigest(),
                        "identity_format": "sha256",
                    }
                ]
            },
            "no identity we can act on",
        ),
        ({"status_callback_urls": ["https://evil.example/cb"]}, "not on the controller's domain"),
    ],
)
def test_a_request_that_breaks_the_specification_gets_its_error_shape(controller, change, message):
    refused = post(controller, payload(**change))
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == 400
    assert message in error["message"]
    assert error["errors"][0]["domain"] == "Validation"
    assert ERIKA not in refused.content.decode()
    assert "erika" not in refused.content.decode().lower()
    assert not SubjectRequest.objects.exists()


def test_a_missing_field_is_named(controller):
    body = payload()
    del body["subject_request_id"]
    refused = post(controller, body)
    assert refused.json()["error"]["message"] == "subject_request_id field is required"


def test_the_same_request_twice_is_a_conflict(controller):
    body = payload()
    now = int(time.time())
    assert post(controller, body, timestamp=now).status_code == 201
    # The very same signed message again is a replay, refused before anything else.
    assert post(controller, body, timestamp=now).status_code == 403
    # Signed anew (a controller retrying), the same request id is a conflict.
    assert post(controller, body, timestamp=now + 1).status_code == 409
    assert SubjectRequest.objects.count() == 1


def test_the_status_is_read_and_a_pending_request_can_be_cancelled(controller, settings):
    controller.verified_by_controller = False  # an officer verifies: it stays pending
    controller.save()
    body = payload()
    assert post(controller, body).status_code == 201
    path = f"/opendsr/v1/requests/{body['subject_request_id']}"
    item = SubjectRequest.objects.get()
    assert item.status == Status.RECEIVED  # for an officer to verify; nobody was e-mailed
    assert not item.events.filter(kind="verification_sent").exists()
    status = call(controller, "GET", path)
    assert status.status_code == 200
    assert status.json()["request_status"] == "pending"
    assert status.headers["X-OpenDSR-Processor-Domain"] == "dsr.example"
    cancelled = call(controller, "DELETE", path)
    assert cancelled.status_code == 202
    assert set(cancelled.json()) == {
        "controller_id",
        "received_time",
        "subject_request_id",
        "api_version",
        "processor_signature",
    }
    item.refresh_from_db()
    assert item.status == Status.WITHDRAWN
    # The change is owed to the controller as a "cancelled" callback (its only one: pending
    # was the create answer).
    assert list(
        Delivery.objects.filter(label="opendsr_callback").values_list("key", flat=True)
    ) == [f"opendsr-callback:{item.opendsr.pk}:0:cancelled"]
    assert call(controller, "GET", path).json()["request_status"] == "cancelled"
    # Another controller does not see it.
    other = OpenDSRController(name="Other", domain="other.example")
    other.credentials = opendsr_inbound.issue_credentials(other)
    other.save()
    assert call(other, "GET", path).status_code == 404


def test_a_request_under_way_cannot_be_cancelled(controller):
    body = payload()
    assert post(controller, body).status_code == 201
    path = f"/opendsr/v1/requests/{body['subject_request_id']}"
    assert call(controller, "GET", path).json()["request_status"] == "in_progress"
    refused = call(controller, "DELETE", path)
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "NotPending"


def test_the_1_0_names_are_served_too(controller):
    body = payload()
    del body["regulation"]
    raw = json.dumps(body).encode()
    created = call(controller, "POST", "/opendsr/opengdpr_requests", raw, names=OPENGDPR)
    assert created.status_code == 201, created.content
    assert "X-OpenGDPR-Signature" in created.headers
    assert OpenDSRRequest.objects.get().api_version == "1.0"


def test_each_status_change_owes_one_callback_per_url(controller):
    body = payload(
        status_callback_urls=[
            "https://controller.example/a",
            "https://eu.controller.example/b",
        ]
    )
    assert post(controller, body).status_code == 201
    owed = Delivery.objects.filter(label="opendsr_callback")
    # in_progress (the systems are asked); the sending fails (nobody listens), the row stays.
    assert sorted(owed.values_list("key", flat=True)) == [
        f"opendsr-callback:{OpenDSRRequest.objects.get().pk}:0:in_progress",
        f"opendsr-callback:{OpenDSRRequest.objects.get().pk}:1:in_progress",
    ]
    for delivery in owed:
        assert delivery.args == [OpenDSRRequest.objects.get().pk, delivery.args[1]]


class CallbackEndpoint(FakeServer):
    """The controller's callback endpoint: it keeps what it was sent."""

    routes = [("POST", r"/opendsr/callbacks", "take")]

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Request] = []

    def take(self, request: Request) -> Response:
        self.received.append(request)
        return 200, {}


def test_a_callback_is_signed_names_its_url_and_is_tried_again_after_a_failure(shop, settings):
    settings.DSR_BASE_URL = "https://dsr.example"
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with CallbackEndpoint() as endpoint:
        registered = OpenDSRController(name="Local", domain="127.0.0.1", systems=["shop"])
        registered.credentials = opendsr_inbound.issue_credentials(registered)
        registered.save()
        endpoint.fail_next(503)  # the first try fails: the outbox tries again
        url = f"{endpoint.url}/opendsr/callbacks"
        assert post(registered, payload(status_callback_urls=[url])).status_code == 201

        (callback,) = endpoint.received
        (delivery,) = Delivery.objects.filter(label="opendsr_callback")
        assert delivery.state == "sent"
        assert delivery.attempts == 2
        headers = callback.headers
        verify(
            registered.credentials.secret,
            callback.body,
            headers[SIGNATURE.lower()],
            headers[TIMESTAMP.lower()],
        )
        assert headers["x-opendsr-processor-domain"] == "dsr.example"
        body = json.loads(callback.body)
        assert body["status_callback_url"] == url
        assert body["request_status"] == "in_progress"
        assert body["controller_id"] == "127.0.0.1"
        assert ERIKA not in callback.body.decode()


def test_callbacks_are_bound_by_the_egress_allow_list(shop, settings):
    """A controller on an internal address, not allow-listed: plain http is refused when it
    sends the request, and https to it is refused by the egress check when the callback
    would go (the delivery fails for good, nothing is sent)."""
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []
    registered = OpenDSRController(name="Internal", domain="127.0.0.1", systems=["shop"])
    registered.credentials = opendsr_inbound.issue_credentials(registered)
    registered.save()
    plain = post(registered, payload(status_callback_urls=["http://127.0.0.1:9/cb"]))
    assert plain.status_code == 400
    assert "must be an https URL" in plain.json()["error"]["message"]
    assert (
        post(registered, payload(status_callback_urls=["https://127.0.0.1:9/cb"])).status_code
        == 201
    )
    (delivery,) = Delivery.objects.filter(label="opendsr_callback")
    assert delivery.state == "failed"
    assert delivery.attempts == 1
