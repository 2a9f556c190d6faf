"""The signed protocol for in-house systems: signatures, replays, callbacks and egress."""

import dataclasses
import json
import time
import uuid

import pytest
from django.test import Client

from connectors import registry
from connectors.backends.webhook import WebhookConnector
from connectors.base import ConnectorRefused, ConnectorUnsupported, StillWorking, SubjectIdentity
from connectors.egress import EgressRefused, EgressTransport, check_egress
from connectors.webhook import OPENGDPR, PROTOCOLS, SIGNATURE, TIMESTAMP, sign
from dsr.models import JobStatus, WebhookResult
from dsr.services import verification
from tests.connectors import sources
from tests.connectors.test_contract import ConnectorContract
from tests.factories import submit
from tests.fakes.inhouse import InHouseService
from tests.helpers import code_in, path_of

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-0123456789"
ERIKA = SubjectIdentity(email="erika@example.org", request_key="DSR-2026-00001")


@pytest.fixture
def service(settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with InHouseService(SECRET) as server:
        server.people["erika@example.org"] = {"loyalty": [{"points": 120}, {"points": 30}]}
        yield server


def connector(service, secret=SECRET):
    return WebhookConnector("loyalty", {"url": service.url, "secret": secret})


def test_a_correctly_signed_request_is_answered(service):
    pages = list(connector(service).export(ERIKA))
    assert [p.category for p in pages] == ["loyalty"]
    assert len(pages[0].records) == 2
    body = service.requests.popitem()[1]["body"]
    assert body["subject_request_type"] == "access"
    assert body["subject_identities"] == [
        {"identity_type": "email", "identity_value": "erika@example.org", "identity_format": "raw"}
    ]


def test_it_speaks_opendsr_2_by_default(service):
    connector(service).locate(ERIKA)
    assert service.calls() == [("GET", "/v1/discovery"), ("POST", "/v1/requests")]
    (entry,) = service.requests.values()
    body = entry["body"]
    assert (body["regulation"], body["api_version"]) == ("gdpr", "2.0")
    assert body["submitted_time"].endswith("Z")
    request_id = uuid.UUID(body["subject_request_id"])
    assert request_id.version == 4
    assert str(request_id) == body["subject_request_id"]


def test_a_system_can_be_switched_to_the_opengdpr_1_0_names(service):
    system = WebhookConnector(
        "loyalty", {"url": service.url, "secret": SECRET, "opendsr_version": "1.0"}
    )
    assert system.locate(ERIKA).found
    assert service.calls() == [("GET", "/discovery"), ("POST", "/opengdpr_requests")]
    (entry,) = service.requests.values()
    assert "regulation" not in entry["body"]
    assert entry["body"]["api_version"] == "1.0"


def test_a_request_signed_under_the_other_versions_names_is_refused(service, monkeypatch):
    """The service checks 1.0 names on 1.0 paths: a 2.0-signed call there is not accepted."""
    system = WebhookConnector(
        "loyalty", {"url": service.url, "secret": SECRET, "opendsr_version": "1.0"}
    )
    mixed = dataclasses.replace(OPENGDPR, signature=SIGNATURE, timestamp=TIMESTAMP)
    monkeypatch.setattr(system, "protocol", mixed)
    with pytest.raises(ConnectorRefused, match="401"):
        system.locate(ERIKA)


def test_the_discovery_is_read_once_per_run_and_says_what_is_supported(service):
    service.supported_types = ["access", "erasure"]
    system = connector(service)
    with pytest.raises(ConnectorUnsupported, match="does not support locate"):
        system.locate(ERIKA)
    assert list(system.export(ERIKA))
    assert service.discoveries == 1
    assert service.calls("POST") == [("POST", "/v1/requests")]  # the locate was never sent


def test_only_the_identities_the_processor_accepts_go_and_hashed_as_it_asks(service):
    import hashlib

    service.supported_identities = [{"identity_type": "email", "identity_format": "sha256"}]
    subject = SubjectIdentity(
        email="Erika@example.org", customer_number="C-1", request_key="DSR-2026-00001"
    )
    connector(service).locate(subject)
    (entry,) = service.requests.values()
    assert entry["body"]["subject_identities"] == [
        {
            "identity_type": "email",
            "identity_value": hashlib.sha256(b"erika@example.org").hexdigest(),
            "identity_format": "sha256",
        }
    ]
    service.supported_identities = [{"identity_type": "android_id", "identity_format": "raw"}]
    with pytest.raises(ConnectorUnsupported, match="none of the identifiers"):
        WebhookConnector("other", {"url": service.url, "secret": SECRET}).locate(subject)


def test_the_service_declares_the_legal_basis_and_inferred_fields_for_portability(service):
    service.portability = {"loyalty": {"legal_basis": "contract", "inferred": ["tier"]}}
    (page,) = connector(service).export(ERIKA)
    assert (page.legal_basis, page.inferred_fields) == ("contract", ("tier",))


def test_the_statement_travels_signed_and_the_service_says_what_it_did(service):
    system = connector(service)
    result = system.rectify(ERIKA, {}, statement="I was a minor when I signed up.")
    assert (result.changed, result.statement_kept) == (0, True)
    assert service.statements == {"erika@example.org": "I was a minor when I signed up."}
    service.restrictable = False
    restricted = system.restrict(ERIKA)
    assert (restricted.changed, restricted.uncovered) == (0, 2)


def test_a_wrongly_signed_request_is_refused_by_the_service(service):
    with pytest.raises(ConnectorRefused, match="401"):
        connector(service, secret="not-the-secret").locate(ERIKA)


def test_a_signed_answer_whose_signature_fails_is_refused(service, monkeypatch):
    real_create = service.create

    def create(request):
        status, body = real_create(request)
        raw = json.dumps(body).encode()
        return status, body, sign("not-the-secret", raw)

    monkeypatch.setattr(service, "create", create)
    with pytest.raises(ConnectorRefused, match="signature fails"):
        connector(service).locate(ERIKA)


def test_the_same_request_keeps_its_id_across_retries(service):
    system = connector(service)
    assert system.request_id(ERIKA, "erase") == system.request_id(ERIKA, "erase")
    system.locate(ERIKA)
    system.locate(ERIKA)  # the second submission is a 409, then a status read
    assert len(service.requests) == 1


def test_the_signature_check_refuses_wrong_replayed_and_stale_messages(settings):
    from connectors.webhook import SignatureError, verify

    body = b'{"subject_request_id": "x"}'
    headers = sign(SECRET, body)
    verify(SECRET, body, headers[SIGNATURE], headers[TIMESTAMP])
    with pytest.raises(SignatureError, match="replayed"):
        verify(SECRET, body, headers[SIGNATURE], headers[TIMESTAMP])
    other = sign(SECRET, body + b" ")
    with pytest.raises(SignatureError, match="bad signature"):
        verify(SECRET, body, other[SIGNATURE], other[TIMESTAMP])
    old = sign(SECRET, body, int(time.time()) - 3600)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(SECRET, body, old[SIGNATURE], old[TIMESTAMP])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "https://10.1.2.3/",
        "https://[::1]/",
        "https://169.254.169.254/",
        "file:///etc/passwd",
        "https://localhost/",
        "ftp://198.51.100.1/",
        "https://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "https://[::ffff:a9fe:a9fe]/",  # IPv4-mapped 169.254.169.254, in hex
        "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "https://[64:ff9b::a01:203]/",  # NAT64 of 10.1.2.3
        "https://[64:ff9b:1::1]/",  # local-use NAT64
        "https://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
        "https://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        "https://[::7f00:1]/",  # IPv4-compatible
        "https://[fec0::1]/",  # site-local
        "https://[ff02::1]/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
        "https://2130706433/",  # 127.0.0.1 in decimal
        "https://017700000001/",  # in octal
        "https://0177.0.0.1/",
        "https://0x7f.0.0.1/",
        "https://127.1/",
        "https://0x7f000001/",
    ],
)
def test_addresses_outside_the_allow_list_are_refused(url, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(EgressRefused):
        check_egress(url)


def test_public_https_and_allow_listed_hosts_pass(settings, monkeypatch):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["crm.internal.example"]
    resolve_to(monkeypatch, {"crm.internal.example": ["10.1.2.3"]})
    assert check_egress("https://93.184.216.34/opendsr").address == "93.184.216.34"
    assert check_egress("https://[64:ff9b::5db8:d822]/").address == "64:ff9b::5db8:d822"
    assert check_egress("http://crm.internal.example:8000/opendsr").address == "10.1.2.3"


def resolve_to(monkeypatch, answers):
    """A resolver that answers each name from ``answers`` (a list: one answer per lookup, the
    last one repeating) and counts the lookups."""
    import socket

    real = socket.getaddrinfo
    lookups: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        n = lookups[host] = lookups.get(host, 0) + 1
        address = answers[host][min(n, len(answers[host])) - 1]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_the_connection_goes_to_the_address_that_was_checked(settings, monkeypatch):
    """DNS rebinding: public for the check, loopback for the connection. The second answer is
    never asked for: the transport connects to the first, sending the name as Host and SNI."""
    import httpx

    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []
    lookups = resolve_to(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
    sent = []

    def handle_request(self, request):
        sent.append(request)
        return httpx.Response(204)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    with httpx.Client(transport=EgressTransport()) as client:
        client.get("https://rebind.example/opengdpr_requests")
    (request,) = sent
    assert request.url.host == "93.184.216.34"
    assert request.headers["Host"] == "rebind.example"
    assert request.extensions["sni_hostname"] == "rebind.example"
    assert lookups == {"rebind.example": 1}


def test_a_connector_resolves_the_name_once_and_keeps_the_host_header(
    service, settings, monkeypatch
):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["inhouse.example"]
    port = service.url.rsplit(":", 1)[1]
    lookups = resolve_to(monkeypatch, {"inhouse.example": ["127.0.0.1"]})
    seen_hosts = []
    real_create = service.create

    def create(request):
        seen_hosts.append(request.headers.get("host"))
        return real_create(request)

    monkeypatch.setattr(service, "create", create)
    system = WebhookConnector(
        "loyalty", {"url": f"http://inhouse.example:{port}", "secret": SECRET}
    )
    assert system.locate(ERIKA).found
    assert lookups == {"inhouse.example": 2}  # once per call: the discovery, the request
    assert seen_hosts == [f"inhouse.example:{port}"]


def test_a_connector_never_calls_a_refused_address(service, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ConnectorRefused, match="address not allowed"):
        connector(service).locate(ERIKA)
    assert service.log == []


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.django_db(transaction=True)
def test_a_slow_service_finishes_by_a_signed_callback(service, settings, outbox, version):
    service.immediate = False
    settings.DSR_CONNECTORS = {
        "loyalty": {
            "BACKEND": "connectors.backends.webhook.WebhookConnector",
            "NAME": "Loyalty",
            "OPTIONS": {
                "url": service.url,
                "secret": SECRET,
                "poll_seconds": 3600,
                "opendsr_version": version,
            },
            "CAPABILITIES": [],
        }
    }
    registry.reset()
    names = PROTOCOLS[version]
    try:
        with pytest.raises(StillWorking):
            connector(service).locate(SubjectIdentity(email="x@example.org", request_key="K"))
        item = submit()
        verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
        locate = item.jobs.get(action="locate")
        assert locate.status == JobStatus.QUEUED  # waiting for the service
        assert locate.attempts == 0  # waiting does not use up attempts
        from dsr.processing.identity import identity_for

        item.refresh_from_db()
        request_id = connector(service).request_id(identity_for(item), "locate")
        body, headers, url = service.finish(request_id, version=version)
        client = Client()

        def post(content, signed):
            return client.post(
                path_of(url), content, content_type="application/json", headers=signed
            )

        bad = post(body, {names.signature: "0" * 64, names.timestamp: headers[names.timestamp]})
        assert bad.status_code == 403  # the specification's answer to a bad signature
        # Signed, but naming another endpoint as its callback: not ours, not taken.
        elsewhere = json.dumps(
            json.loads(body) | {"status_callback_url": "https://elsewhere.example/cb"}
        ).encode()
        assert post(elsewhere, sign(SECRET, elsewhere, version=names)).status_code == 400
        good = post(body, headers)
        assert good.status_code == 200, good.content
        assert post(body, headers).status_code == 403  # a replay
        locate.refresh_from_db()
        assert locate.status == JobStatus.SUCCEEDED
        # The job has what the service reported: the callback is gone (issue 16).
        assert not WebhookResult.objects.filter(job=locate).exists()
        assert json.loads(body)["result"]["found"] is True
    finally:
        registry.reset()


@pytest.mark.django_db(transaction=True)
def test_a_type_the_processor_does_not_support_is_reported_as_such(service, settings, outbox):
    service.supported_types = ["access"]  # no locate, no erasure
    settings.DSR_CONNECTORS = {
        "loyalty": {
            "BACKEND": "connectors.backends.webhook.WebhookConnector",
            "NAME": "Loyalty",
            "OPTIONS": {"url": service.url, "secret": SECRET},
            "CAPABILITIES": [],
        }
    }
    registry.reset()
    try:
        item = submit(right="erasure", details={"scope": "all"})
        verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
        jobs = {job.action: job for job in item.jobs.all()}
        assert jobs["locate"].status == JobStatus.SKIPPED
        assert jobs["locate"].skipped_reason == "This system does not support this action."
        assert jobs["locate"].result == {"unsupported": True}
        assert service.calls("POST") == []
    finally:
        registry.reset()


REPORT = {
    "subject_request_id": "req-1",
    "request_status": "completed",
    "result": {"pages": [{"category": "loyalty", "records": [{"name": "Erika Mustermann"}]}]},
}


@pytest.fixture
def waiting_job(service, settings, monkeypatch):
    """An open export job of the in-house system, with a callback that has not woken it."""
    from dsr.models import ConnectorJob
    from dsr.processing import callbacks

    settings.DSR_CONNECTORS = {
        "loyalty": {
            "BACKEND": "connectors.backends.webhook.WebhookConnector",
            "NAME": "Loyalty",
            "OPTIONS": {"url": service.url, "secret": SECRET},
            "CAPABILITIES": [],
        }
    }
    registry.reset()
    monkeypatch.setattr(callbacks, "wake", lambda job: None)
    item = submit()
    job = ConnectorJob.objects.create(
        request=item, system="loyalty", action="export", status=JobStatus.QUEUED
    )
    from dsr.processing.identity import identity_for

    backend = registry.connector("loyalty")
    request_id = backend.request_id(identity_for(item), "export")
    assert callbacks.accept(backend, request_id=request_id, payload=REPORT)
    yield job
    registry.reset()


def test_a_callback_is_stored_encrypted_and_read_back_for_its_job(waiting_job):
    from django.db import connection

    from dsr.processing.identity import identity_for_job

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dsr_webhookresult")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert "Mustermann" not in repr(rows)
    assert "loyalty" not in repr(rows)
    assert identity_for_job(waiting_job).reports == {"req-1": REPORT}


def test_callbacks_go_with_the_expired_package(waiting_job):
    from datetime import timedelta

    from django.utils import timezone

    from dsr.models import AnswerPackage
    from dsr.services import answers

    AnswerPackage.objects.create(
        request=waiting_job.request, expires_at=timezone.now() - timedelta(days=1)
    )
    assert answers.purge_expired() == 1
    assert not WebhookResult.objects.exists()


def test_callbacks_of_finished_jobs_go_when_the_request_closes(waiting_job):
    from dsr.services import withdrawal

    ConnectorJob = type(waiting_job)
    ConnectorJob.objects.filter(pk=waiting_job.pk).update(status=JobStatus.FAILED)
    withdrawal.withdraw(waiting_job.request)
    assert not WebhookResult.objects.exists()


class TestWebhookContract(ConnectorContract):
    @pytest.fixture
    def system(self, settings):
        settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
        with InHouseService(SECRET) as server:
            server.people[sources.SUBJECT] = {"loyalty": [{"points": 7}]}
            yield WebhookConnector("loyalty", {"url": server.url, "secret": SECRET})
