"""The JSON API: filing, reading, scopes, revocation, errors in the caller's language."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dsr.models import AuditEntry, AuditKind, SubjectRequest
from dsr.services import api_keys

pytestmark = pytest.mark.django_db

LETTER = {
    "rights": ["access", "erasure"],
    "channel": "post",
    "language": "de",
    "subject": {"name": "Erika Mustermann", "email": "erika@example.org"},
    "details": "Bitte alle meine Daten.",
}


def filed(received_at, **changes):
    return {**LETTER, "received_at": received_at.isoformat(), **changes}


def test_a_request_filed_through_the_api_starts_its_clock_at_the_receipt_time(api, make_key):
    received = timezone.now() - timedelta(days=3)
    response = api(make_key("intake")).post("/requests", filed(received))
    assert response.status_code == 201, response.content
    body = response.json()
    item = SubjectRequest.objects.get(reference=body["reference"])
    assert item.received_at == received.replace(microsecond=item.received_at.microsecond)
    assert abs(item.received_at - received) < timedelta(seconds=1)
    assert item.channel == "post"
    assert sorted(item.rights) == ["access", "erasure"]
    assert body["dates"]["received_on"] == item.received_on.isoformat()
    assert body["dates"]["due_on"] == item.due_on.isoformat()
    assert body["timeline"][0]["kind"] == "submitted"
    assert body["subject"] is None  # an intake key gets back no one's data


def test_the_request_appears_in_the_staff_queue_with_the_receipt_time(api, make_key, client):
    from django.urls import reverse
    from django.utils.formats import date_format

    from tests.factories import PASSWORD, make_officer
    from tests.helpers import login_with_totp

    received = timezone.now() - timedelta(days=10)
    reference = api(make_key("intake")).post("/requests", filed(received)).json()["reference"]
    item = SubjectRequest.objects.get(reference=reference)
    filed_now = api(make_key("intake", name="Now")).post("/requests", filed(timezone.now()))
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:cases")).content.decode()
    assert reference in page
    # The clock runs from the letter's arrival ten days ago, not from its entry today.
    assert item.due_on < SubjectRequest.objects.get(reference=filed_now.json()["reference"]).due_on
    assert date_format(item.due_on, "SHORT_DATE_FORMAT") in page
    case = client.get(reverse("staff:case", args=[reference])).content.decode()
    assert date_format(item.received_on, "DATE_FORMAT") in case or str(item.received_on.day) in case


def test_an_intake_key_cannot_read_other_requests(api, make_key):
    mine, other = make_key("intake"), make_key("intake", name="Ticketing")
    received = timezone.now() - timedelta(hours=2)
    reference = api(other).post("/requests", filed(received)).json()["reference"]
    response = api(mine).get(f"/requests/{reference}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api(other).get(f"/requests/{reference}").status_code == 200
    listing = api(mine).get("/requests")
    assert listing.status_code == 403
    assert listing.json()["error"]["code"] == "scope_missing"
    search = api(mine).post("/requests/search", {"email": "erika@example.org"})
    assert search.status_code == 403


def test_a_read_key_sees_every_request_and_finds_them_by_address_in_the_body(api, make_key):
    received = timezone.now() - timedelta(hours=2)
    reference = api(make_key("intake")).post("/requests", filed(received)).json()["reference"]
    reader = api(make_key("read"))
    detail = reader.get(f"/requests/{reference}").json()
    assert detail["subject"]["email"] == "erika@example.org"
    found = reader.post("/requests/search", {"email": "ERIKA@example.org"}).json()
    assert [r["reference"] for r in found] == [reference]
    listing = reader.get("/requests", right="erasure").json()
    assert [r["reference"] for r in listing["items"]] == [reference]
    assert reader.get("/requests", right="objection").json()["count"] == 0
    # A read key writes nothing.
    assert reader.post("/requests", filed(received)).status_code == 403


def test_a_revoked_key_is_refused(api, make_key):
    token = make_key("read")
    assert api(token).get("/requests").status_code == 200
    api_keys.revoke_key(api_keys.authenticate(token))
    response = api(token).get("/requests")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_wrong_or_missing_key_is_refused(api, make_key, client):
    token = make_key("read")
    assert api(token[:-1] + ("A" if token[-1] != "A" else "B")).get("/requests").status_code == 401
    assert client.get("/api/v1/requests").status_code == 401


def test_errors_come_in_the_callers_language_with_a_stable_code(api, make_key):
    future = timezone.now() + timedelta(days=2)
    english = api(make_key("intake")).post("/requests", filed(future))
    german = api(make_key("intake", name="DE")).post("/requests", filed(future), language="de")
    assert english.status_code == german.status_code == 409
    assert english.json()["error"]["code"] == german.json()["error"]["code"] == "refused"
    assert english.json()["error"]["message"] == "The date of receipt cannot be in the future."
    assert german.json()["error"]["message"] != english.json()["error"]["message"]
    invalid = api(make_key("intake", name="NL")).post("/requests", {"rights": []}, language="nl")
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid"
    assert "erika" not in invalid.content.decode()


def test_a_key_over_its_rate_limit_is_told_to_wait(api, make_key):
    token = make_key("read", rate="2/60")
    assert api(token).get("/requests").status_code == 200
    assert api(token).get("/requests").status_code == 200
    response = api(token).get("/requests")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_every_call_with_a_key_is_in_the_audit_log_without_personal_data(api, make_key):
    token = make_key("intake")
    received = timezone.now() - timedelta(hours=1)
    reference = api(token).post("/requests", filed(received)).json()["reference"]
    api(token).get(f"/requests/{reference}")
    calls = list(AuditEntry.objects.filter(kind=AuditKind.API_CALL).order_by("seq"))
    assert [(c.data["method"], c.data["status"]) for c in calls] == [("POST", 201), ("GET", 200)]
    item = SubjectRequest.objects.get(reference=reference)
    assert all(c.request_id == item.pk for c in calls)
    assert calls[1].data["route"] == "api/v1/requests/<reference>"
    assert calls[0].data["key"] == token[:12]
    assert "erika" not in str([c.data for c in calls])


def test_an_intake_key_records_an_answer_only_on_its_own_requests(api, make_key):
    mine, other = make_key("intake"), make_key("intake", name="Ticketing")
    received = timezone.now() - timedelta(hours=2)
    reference = api(mine).post("/requests", filed(received)).json()["reference"]
    answer = {"direction": "from_requester", "body": "My customer number is 4711."}
    assert api(other).post(f"/requests/{reference}/messages", answer).status_code == 404
    response = api(mine).post(f"/requests/{reference}/messages", answer)
    assert response.status_code == 201, response.content
    assert response.json()["direction"] == "in"
    question = {"direction": "to_requester", "body": "Which account?"}
    assert api(mine).post(f"/requests/{reference}/messages", question).status_code == 403
