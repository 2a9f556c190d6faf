"""Webhooks out: signed deliveries of what happened, retried through the outbox, logged, and
only where the egress rules let the portal post."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import TestCase
from django.utils import timezone

from dsr.models import Delivery, DeliveryState, SubjectRequest, WebhookDelivery, WebhookEvent
from dsr.services import webhook_subscriptions
from dsr.services.intake import Intake, SubjectDetails, submit_request
from tests.factories import make_officer
from tests.fixtures.celery import wait_for
from tests.helpers import free_port


class Receiver:
    """A subscriber's endpoint on 127.0.0.1 that answers the statuses it is given in turn
    (then 200) and keeps what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/dsr"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for item in made:
        item.stop()


def file_letter(officer, *, received_at=None):
    return submit_request(
        intake=Intake(
            rights={"access": {}},
            subject=SubjectDetails(email="erika@example.org", name="Erika Mustermann"),
            language="en",
            channel="post",
            received_at=received_at or timezone.now(),
        ),
        entered_by=officer,
    )


def signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.redis
@pytest.mark.slow
def test_a_failing_receiver_gets_the_signed_delivery_again_after_a_backoff(
    celery_worker, receiver, settings
):
    settings.DSR_DELIVERY_BACKOFF_SECONDS = 1
    endpoint = receiver(503)
    _subscription, secret = webhook_subscriptions.subscribe(
        name="Ticketing", url=endpoint.url, events=[WebhookEvent.REQUEST_CREATED]
    )
    officer, _ = make_officer()
    item = file_letter(officer)
    delivery = WebhookDelivery.objects.get(event=WebhookEvent.REQUEST_CREATED)
    wait_for(lambda: WebhookDelivery.objects.filter(delivered_at__isnull=False).exists())
    assert len(endpoint.received) == 2
    (_first_headers, first), (headers, body) = endpoint.received
    assert first == body  # the same delivery, byte for byte
    assert headers["X-DSR-Signature"] == signed(secret, body)
    assert headers["X-DSR-Event"] == "request.created"
    assert headers["X-DSR-Delivery"] == str(delivery.pk)
    sent = json.loads(body)
    assert sent["event"] == "request.created"
    assert sent["request"]["reference"] == SubjectRequest.objects.get(pk=item.pk).reference
    assert b"erika" not in body.lower()
    assert b"mustermann" not in body.lower()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status) == (2, 200)
    owed = Delivery.objects.get(label="webhook")
    assert owed.state == DeliveryState.SENT


@pytest.mark.django_db
def test_a_host_the_egress_rules_do_not_allow_gets_nothing(receiver, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []  # 127.0.0.1 over plain http is internal
    endpoint = receiver()
    webhook_subscriptions.subscribe(
        name="Internal", url=endpoint.url, events=[WebhookEvent.REQUEST_CREATED]
    )
    officer, _ = make_officer()
    with TestCase.captureOnCommitCallbacks(execute=True):
        file_letter(officer)
    assert endpoint.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered_at is None
    assert "egress" in delivery.last_error
    assert Delivery.objects.get(label="webhook").state == DeliveryState.FAILED  # not retried
    assert webhook_subscriptions.egress_problem(endpoint.url)


@pytest.mark.django_db
def test_a_receiver_that_refuses_is_not_asked_again(receiver):
    endpoint = receiver(410)
    webhook_subscriptions.subscribe(
        name="Gone", url=endpoint.url, events=[WebhookEvent.REQUEST_CREATED]
    )
    officer, _ = make_officer()
    with TestCase.captureOnCommitCallbacks(execute=True):
        file_letter(officer)
    assert len(endpoint.received) == 1
    assert WebhookDelivery.objects.get().last_status == 410
    assert Delivery.objects.get(label="webhook").state == DeliveryState.FAILED


@pytest.mark.django_db
def test_only_subscribed_events_are_delivered(receiver):
    endpoint = receiver()
    webhook_subscriptions.subscribe(
        name="Overdue only", url=endpoint.url, events=[WebhookEvent.REQUEST_OVERDUE]
    )
    officer, _ = make_officer()
    with TestCase.captureOnCommitCallbacks(execute=True):
        item = file_letter(officer, received_at=timezone.now() - timedelta(days=200))
    assert endpoint.received == []  # not subscribed to request.created
    assert item.due_on < timezone.now().date()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert webhook_subscriptions.notify_overdue() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert webhook_subscriptions.notify_overdue() == 0  # once per due date passed
    assert len(endpoint.received) == 1
    sent = json.loads(endpoint.received[0][1])
    assert sent["event"] == "request.overdue"
    assert sent["request"]["due_on"] == item.due_on.isoformat()


@pytest.mark.django_db
def test_a_verified_request_and_its_failed_job_are_announced(receiver, settings, tmp_path):
    from connectors import registry
    from dsr.services.verification import verify_manually

    settings.DSR_CONNECTORS = {
        "crm": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "fake"), "fail": "permanent"},
        }
    }
    registry.reset()
    endpoint = receiver()
    webhook_subscriptions.subscribe(
        name="All",
        url=endpoint.url,
        events=[WebhookEvent.REQUEST_VERIFIED, WebhookEvent.JOB_FAILED],
    )
    officer, _ = make_officer()
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            item = file_letter(officer)
        with TestCase.captureOnCommitCallbacks(execute=True):
            verify_manually(item, officer=officer, reason="Letter signed; a known customer.")
    finally:
        registry.reset()
    events = [json.loads(body) for _headers, body in endpoint.received]
    assert [e["event"] for e in events] == ["request.verified", "job.failed"]
    assert events[1]["job"]["system"] == "crm"
    assert events[1]["request"]["reference"] == item.reference
