"""Edges where a request could reach the wrong person, lose its clock, or keep what it must not."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from dsr.core import files
from dsr.core.errors import RequestError
from dsr.core.tokens import status_token
from dsr.models import EventKind, FileKind, RequestFile, Status, SubjectRequest
from dsr.models import VerificationChallenge as Challenge
from dsr.services import questions, verification, withdrawal
from dsr.services.intake import AgentDetails
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\nIDENTITY CARD ERIKA MUSTERMANN\n%%EOF"
AGENT = AgentDetails(name="Anna Anwalt", email="anna@kanzlei.example", authority="other")


def test_typing_someone_elses_address_while_logged_in_gives_no_access(client, outbox):
    mallory = UserFactory(email="mallory@example.org")
    client.force_login(mallory)
    client.post(
        reverse("dsr:intake", args=["access"]),
        {"requester": "myself", "email": "alice@example.org"},
    )
    item = SubjectRequest.objects.get()
    assert item.account is None
    assert item.status == Status.AWAITING_VERIFICATION
    assert item.reference not in client.get(reverse("dsr:my_requests")).content.decode()
    token = status_token(item)
    assert item.reference not in client.get(reverse("dsr:status", args=[token])).content.decode()


def test_an_unconfirmed_request_does_not_swallow_the_real_subjects_request(outbox):
    impostor = submit(email="alice@example.org")  # never confirmed
    genuine = submit(email="alice@example.org")
    assert genuine.duplicate_of is None
    assert impostor.duplicate_of is None


def test_the_sweep_leaves_requests_that_wait_for_an_officer_or_an_answer(outbox):
    officer, _ = make_officer()
    agent_request = submit(agent=AGENT)
    verification.verify_with_code(agent_request, code_in(outbox.last_to(AGENT.email)))
    questioned = submit(email="q@example.org")
    questions.request_information(
        questioned, officer=officer, purpose="identity", question="Customer number?"
    )
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        letter = submit(
            email="letter@example.org",
            channel="post",
            received_at=timezone.now() - timedelta(days=20),
            entered_by=officer,
        )
        assert verification.sweep_unverified() == (0, 0)
    for item in (agent_request, questioned, letter):
        item.refresh_from_db()
        assert item.status == Status.AWAITING_VERIFICATION


def test_identity_documents_are_deleted_when_the_request_closes(outbox):
    officer, _ = make_officer()
    item = submit()
    questions.request_information(
        item,
        officer=officer,
        purpose="identity",
        question="Your ID please.",
        id_document=True,
        reason="Health data",
    )
    questions.answer_information(
        item, body="", upload=files.Upload(content=PDF), document_type="id_card"
    )
    # The letter asking for it has its PDF copy too: the person's upload is the other file.
    document = RequestFile.objects.exclude(kind=FileKind.LETTER).get()
    name = document.storage_name
    assert default_storage.exists(name)
    withdrawal.withdraw(item)
    document.refresh_from_db()
    assert document.deleted_at is not None
    assert not default_storage.exists(name)


def test_a_file_sent_before_verification_counts_as_identity_data(outbox):
    officer, _ = make_officer()
    item = submit()
    questions.request_information(
        item, officer=officer, purpose="identity", question="What is your customer number?"
    )
    questions.answer_information(item, body="See scan", upload=files.Upload(content=PDF))
    assert RequestFile.objects.exclude(kind=FileKind.LETTER).get().kind == FileKind.ID_DOCUMENT


def test_files_can_only_be_sent_as_an_answer(outbox):
    item = submit()
    with pytest.raises(RequestError):
        questions.answer_information(item, body="", upload=files.Upload(content=PDF))
    assert not RequestFile.objects.exists()


def test_new_codes_do_not_buy_new_guesses(client, outbox, settings):
    settings.DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS = 7
    item = submit()
    for round_ in range(3):
        code = code_in(outbox.last_to("erika@example.org"))
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            verification.verify_with_code(item, wrong)
        with time_machine.travel(timezone.now() + timedelta(minutes=2 * (round_ + 1))):
            try:
                verification.resend_verification(item)
            except RequestError:
                break
    else:
        pytest.fail("resending never stopped")
    last = code_in(outbox.last_to("erika@example.org"))
    assert verification.verify_with_code(item, last) == "locked"
    assert SubjectRequest.objects.get().status == Status.AWAITING_VERIFICATION


def test_an_account_holder_is_never_asked_for_an_identity_document(outbox):
    officer, _ = make_officer()
    owner = UserFactory(email="erika@example.org")
    item = submit(account=owner)
    assert item.verification_method == "account"
    with pytest.raises(RequestError):
        questions.request_information(
            item,
            officer=officer,
            purpose="identity",
            question="ID?",
            id_document=True,
            reason="Because",
        )


def test_a_late_question_does_not_claim_to_stop_the_clock(outbox):
    officer, _ = make_officer()
    received = datetime(2025, 3, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    with time_machine.travel(received):
        item = submit(received_at=received)
    with time_machine.travel(received + timedelta(days=10)):
        questions.request_information(
            item, officer=officer, purpose="identity", question="Which contract?"
        )
    item.refresh_from_db()
    assert not item.paused
    assert item.due_on.isoformat() == "2025-04-07"
    assert "stands still" not in outbox.last_to("erika@example.org").body


def test_names_with_links_are_refused(client):
    response = client.post(
        reverse("dsr:intake", args=["access"]),
        {"requester": "myself", "email": "e@example.org", "name": "Win http://evil.example"},
    )
    assert "without web addresses" in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_the_admin_never_shows_a_password_only_login(client):
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    assert client.get(reverse("admin:login")).status_code == 403
    admin_user, admin_secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    client.logout()
    login_with_totp(client, admin_user.email, PASSWORD, admin_secret)
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_replaced_code_leaves_nothing_decryptable_behind(outbox):
    item = submit()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        verification.resend_verification(item)
    assert list(Challenge.objects.values_list("code_encrypted", flat=True)) == ["", ""]
    assert item.events.filter(kind=EventKind.VERIFICATION_SENT).count() == 1
