"""One-time codes and links: hashed, limited, expiring, with reminders and expiry."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dsr.models import EventKind, Status, SubjectRequest, VerificationChallenge
from dsr.services import verification
from tests.factories import submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)


def pending_client(client, item):
    session = client.session
    session["dsr_pending_request"] = item.pk
    session.save()
    return client


def test_the_code_is_never_stored_in_clear(outbox):
    item = submit()
    code = code_in(outbox.last_to("erika@example.org"))
    challenge = VerificationChallenge.objects.get(request=item)
    stored = " ".join(str(v) for v in VerificationChallenge.objects.values().get().values())
    assert code not in stored
    assert challenge.code_hash != code
    assert challenge.code_encrypted == ""  # the encrypted copy is wiped once the e-mail left
    assert challenge.sent_at is not None


def test_the_sixth_attempt_is_refused_even_with_the_right_code(client, outbox):
    item = submit()
    code = code_in(outbox.last_to("erika@example.org"))
    pending_client(client, item)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        page = client.post(reverse("dsr:sent"), {"code": wrong}).content.decode()
    assert "Too many wrong codes" in page
    page = client.post(reverse("dsr:sent"), {"code": code}).content.decode()
    assert "Too many wrong codes" in page
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION
    assert item.events.filter(kind=EventKind.VERIFICATION_LOCKED).count() == 1


def test_a_wrong_code_says_so_and_counts(client, outbox):
    item = submit()
    code = code_in(outbox.last_to("erika@example.org"))
    pending_client(client, item)
    page = client.post(reverse("dsr:sent"), {"code": "12345x"}).content.decode()
    assert "That code is not right" in page
    client.post(reverse("dsr:sent"), {"code": code})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_an_expired_code_is_refused(client, outbox):
    item = submit()
    code = code_in(outbox.last_to("erika@example.org"))
    pending_client(client, item)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        page = client.post(reverse("dsr:sent"), {"code": code}).content.decode()
    assert "This code has expired" in page
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION


def test_a_new_code_needs_a_cool_down_and_replaces_the_old_one(client, outbox):
    item = submit()
    old = code_in(outbox.last_to("erika@example.org"))
    pending_client(client, item)
    response = client.post(reverse("dsr:resend"), follow=True)
    assert "Please wait" in response.content.decode()
    assert len(outbox.to("erika@example.org")) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = client.post(reverse("dsr:resend"), follow=True)
        assert "We have sent you a new code." in response.content.decode()
        new = code_in(outbox.last_to("erika@example.org"))
        if new != old:
            page = client.post(reverse("dsr:sent"), {"code": old}).content.decode()
            assert "not right" in page or "no code" in page
        client.post(reverse("dsr:sent"), {"code": new})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_unverified_requests_are_reminded_once_then_closed_with_the_remedies(outbox, settings):
    from dsr.demo import load_demo

    load_demo()  # a controller with its supervisory authorities
    item = submit(language="de")
    received = item.received_at
    with time_machine.travel(
        received + timedelta(days=settings.DSR_VERIFICATION_REMINDER_DAYS, hours=1)
    ):
        assert verification.sweep_unverified() == (1, 0)
        assert verification.sweep_unverified() == (0, 0)  # once only
    reminder = outbox.last_to("erika@example.org")
    assert item.reference in reminder.subject
    assert len(outbox.to("erika@example.org")) == 2

    with time_machine.travel(
        received + timedelta(days=settings.DSR_UNVERIFIED_EXPIRY_DAYS, hours=1)
    ):
        assert verification.sweep_unverified() == (0, 1)
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    notice = outbox.last_to("erika@example.org")
    # Art. 12(4): reasons, the competent authority, the judicial remedy, in German.
    assert "Art. 11" in notice.body
    assert "LDI NRW" in notice.body  # the one competent for this request
    assert "BfDI" not in notice.body
    assert "Art. 78" in notice.body
    assert "Aufsichtsbehörde" in notice.body


def test_a_verified_request_ignores_the_sweep(outbox):
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert verification.sweep_unverified() == (0, 0)
    assert SubjectRequest.objects.get().status == Status.VERIFIED
