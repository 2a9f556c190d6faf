"""The status page, withdrawal, and the officer's identity and clock decisions."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from dsr.core import files
from dsr.core.clock import clock_for
from dsr.core.errors import RequestError
from dsr.models import EventKind, FileKind, RequestEvent, RequestFile, Status, SubjectRequest
from dsr.services import extension, questions, verification
from dsr.services.intake import AgentDetails
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\nERIKA MUSTERMANN 12.08.1964"


def status_link(outbox, email="erika@example.org"):
    message = outbox.to(email)[0]
    return path_of(
        next(url for url in outbox.links(message) if "/r/" in url and "verify" not in url)
    )


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.answer_email)))
    item.refresh_from_db()
    return item


def test_the_status_link_alone_does_not_open_the_page(client, outbox):
    item = verified(outbox)
    link = status_link(outbox)
    page = client.get(link).content.decode()
    assert "we send a code to the e-mail address" in page
    assert item.reference not in page

    client.post(link, {"send": "1"})
    code = code_in(outbox.last_to("erika@example.org"))
    response = client.post(link, {"code": code})
    assert response.status_code == 302
    page = client.get(link).content.decode()
    assert item.reference in page
    assert "Identity verified" in page


def test_an_account_holder_sees_only_their_own_requests(client, outbox):
    owner = UserFactory(email="erika@example.org")
    item = submit(account=owner)
    link = status_link(outbox)
    client.force_login(owner)
    assert item.reference in client.get(link).content.decode()

    stranger = UserFactory(email="max@example.org")
    client.force_login(stranger)
    assert item.reference not in client.get(link).content.decode()
    assert item.reference not in client.get(reverse("dsr:my_requests")).content.decode()


def test_a_tampered_status_link_is_refused(client):
    response = client.get("/r/eyJyIjoxfQ:1xUlU8:forged/")
    assert response.status_code == 404


def test_the_requester_withdraws_on_the_status_page(client, outbox):
    owner = UserFactory(email="erika@example.org")
    item = submit(account=owner)
    client.force_login(owner)
    link = status_link(outbox)
    client.post(reverse("dsr:withdraw", args=[link.split("/")[2]]))
    item.refresh_from_db()
    assert item.status == Status.WITHDRAWN
    assert "withdrawn" in outbox.last_to("erika@example.org").subject.lower()
    page = client.get(link).content.decode()
    assert "Withdraw the request" not in page
    # A withdrawn request is due for nothing: the page says when it closed, and how.
    assert 'id="due-date"' not in page
    assert 'id="closed-on"' in page
    assert "(Withdrawn)" in " ".join(page.split())


def test_asking_for_information_pauses_the_clock_until_the_answer(client, outbox):
    officer, _ = make_officer()
    received = datetime(2025, 3, 5, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(received):
        item = verified(outbox, received_at=received)
    assert item.due_on.isoformat() == "2025-04-07"  # Sat 5 Apr rolls to Monday

    with time_machine.travel(received + timedelta(days=1)):
        questions.request_information(
            item, officer=officer, purpose="identity", question="Your customer number?"
        )
    item.refresh_from_db()
    assert item.paused
    assert "Your customer number?" in outbox.last_to("erika@example.org").body

    with time_machine.travel(received + timedelta(days=5)):
        questions.answer_information(item, body="K-123456")
    item.refresh_from_db()
    assert not item.paused
    # Four paused days added before the roll: 5 Apr + 4 = Wed 9 Apr 2025.
    assert item.due_on.isoformat() == "2025-04-09"
    assert item.strict_due_on.isoformat() == "2025-04-07"


def test_a_question_about_the_format_is_a_message_and_the_clock_keeps_running(client, outbox):
    officer, secret = make_officer()
    received = datetime(2025, 3, 5, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(received):
        item = verified(outbox, received_at=received)
    with time_machine.travel(received + timedelta(days=1)):
        questions.request_information(
            item, officer=officer, purpose="other", question="Would you like the data as CSV?"
        )
    item.refresh_from_db()
    assert not item.paused
    assert item.events.filter(kind=EventKind.MESSAGE_SENT).count() == 1
    assert not item.events.filter(kind=EventKind.INFO_REQUESTED).exists()
    mail = outbox.last_to("erika@example.org").body
    assert "Would you like the data as CSV?" in mail
    assert "stands still" not in mail
    with time_machine.travel(received + timedelta(days=5)):
        questions.answer_information(item, body="CSV, please.")
    item.refresh_from_db()
    assert item.due_on.isoformat() == "2025-04-07"  # unchanged: nothing stopped
    assert not item.events.filter(kind=EventKind.INFO_RECEIVED).exists()
    # The officer has to say what a question is for; the form offers the purposes.
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert 'name="purpose" value="other"' in page
    answer = client.post(
        reverse("staff:case_action", args=[item.reference, "ask"]),
        {"question": "Which file format?"},
        follow=True,
    )
    assert item.messages.filter(body="Which file format?").count() == 0
    assert "This field is required." in answer.content.decode()


def test_only_identity_authority_and_scope_stop_the_clock_and_the_explanation_says_why(outbox):
    officer, _ = make_officer()
    received = datetime(2025, 3, 5, 10, 0, tzinfo=BERLIN)
    with time_machine.travel(received):
        item = verified(outbox, received_at=received)
    with pytest.raises(RequestError, match="identity is in doubt"):
        questions.request_information(
            item,
            officer=officer,
            purpose="scope",
            question="ID please",
            id_document=True,
            reason="Special categories.",
        )
    with pytest.raises(RequestError, match="what the question is for"):
        questions.request_information(item, officer=officer, purpose="", question="Hm?")
    asked = received + timedelta(days=1)
    with time_machine.travel(asked):
        questions.request_information(
            item,
            officer=officer,
            purpose="scope",
            question="We hold 12 years of orders: which years do you mean?",
        )
        item.refresh_from_db()
        assert item.paused
        today = " ".join(clock_for(item).explain("en").split())
        assert "The clock stopped on Thursday 6 March 2025, when we asked for information" in today
        assert "we process a large quantity of information about you" in today
    with time_machine.travel(asked + timedelta(days=3)):
        german = " ".join(clock_for(item).explain("de").split())
        assert "Die Frist steht bisher seit 3 Tagen still" in german
        assert "eine große Menge an Informationen über Sie" in german


def test_an_id_document_needs_a_reason_is_stored_encrypted_and_deleted_after_the_check(
    client, outbox
):
    officer, secret = make_officer()
    item = submit()
    with pytest.raises(RequestError):
        questions.request_information(
            item, officer=officer, purpose="identity", question="ID please", id_document=True
        )
    questions.request_information(
        item,
        officer=officer,
        purpose="identity",
        question="Please upload a copy of your identity card.",
        id_document=True,
        reason="The account holds special categories of data (health).",
    )
    questions.answer_information(
        item, body="Here it is", upload=files.Upload(content=PDF), document_type="id_card"
    )
    document = RequestFile.objects.get(request=item, kind=FileKind.ID_DOCUMENT)
    with default_storage.open(document.storage_name, "rb") as handle:
        stored = handle.read()
    assert b"MUSTERMANN" not in stored
    assert b"%PDF" not in stored

    login_with_totp(client, officer.email, PASSWORD, secret)
    view = client.get(reverse("staff:case_file", args=[item.reference, document.pk]))
    assert view.content == PDF

    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "decide"]),
        {"file": document.pk, "accepted": "1", "reason": "Name and birth date match."},
    )
    document.refresh_from_db()
    assert not default_storage.exists(document.storage_name or "requests/none")
    assert document.storage_name == ""
    assert document.deleted_at is not None
    checked = RequestEvent.objects.get(request=item, kind=EventKind.ID_CHECKED)
    assert checked.actor == officer
    assert checked.data == {"document_type": "id_card", "accepted": True}
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert item.verification_method == "officer"


def test_an_upload_that_is_not_a_document_is_refused(client, outbox):
    owner = UserFactory(email="erika@example.org")
    officer, _ = make_officer()
    item = submit(account=owner)
    questions.request_information(
        item, officer=officer, purpose="identity", question="Customer number?"
    )
    client.force_login(owner)
    link = status_link(outbox)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("dsr:reply", args=[link.split("/")[2]]),
        {"body": "", "attachment": SimpleUploadedFile("id.pdf", b"MZ\x90\x00 not a pdf")},
        follow=True,
    )
    assert "Please upload a PDF, JPEG or PNG file." in response.content.decode()
    # The question's letter keeps its PDF copy; nothing the person sent is kept.
    assert not RequestFile.objects.exclude(kind=FileKind.LETTER).exists()
    assert SubjectRequest.objects.get().paused


def test_the_extension_is_possible_once_and_only_until_the_one_month_date(outbox):
    officer, _ = make_officer()
    received = datetime(2025, 3, 5, 9, 0, tzinfo=BERLIN)
    with time_machine.travel(received):
        item = verified(outbox, received_at=received)
    with (
        time_machine.travel(datetime(2025, 4, 8, 9, 0, tzinfo=BERLIN)),
        pytest.raises(RequestError),
    ):
        extension.extend(
            item,
            officer=officer,
            reasons="Complex: 14 systems.",
            ground="complexity",
            facts=["many_systems"],
        )
    with time_machine.travel(datetime(2025, 4, 7, 9, 0, tzinfo=BERLIN)):
        with pytest.raises(RequestError):
            extension.extend(
                item, officer=officer, reasons=" ", ground="complexity", facts=["many_systems"]
            )
        extension.extend(
            item,
            officer=officer,
            reasons="Complex: 14 systems.",
            ground="complexity",
            facts=["many_systems"],
        )
        item.refresh_from_db()
        assert item.due_on.isoformat() == "2025-06-05"  # from receipt, not from 7 April
        with pytest.raises(RequestError):
            extension.extend(
                item, officer=officer, reasons="Again.", ground="complexity", facts=["many_systems"]
            )
    notice = outbox.last_to("erika@example.org")
    assert "Complex: 14 systems." in notice.body
    assert "5 June 2025" in notice.body


def test_an_extension_for_effort_alone_or_without_supporting_facts_is_refused(outbox):
    officer, _ = make_officer()
    item = verified(outbox)
    with pytest.raises(RequestError, match="Effort or workload alone is not a ground"):
        extension.extend(
            item,
            officer=officer,
            reasons="It is a lot of work for us.",
            ground="complexity",
            facts=["effort"],
        )
    with pytest.raises(RequestError, match="do not support the ground"):
        extension.extend(
            item,
            officer=officer,
            reasons="Several requests of hers arrived together.",
            ground="complexity",
            facts=["person_requests"],
        )
    with pytest.raises(RequestError, match="Name the facts"):
        extension.extend(item, officer=officer, reasons="Complex.", ground="complexity", facts=[])
    with pytest.raises(RequestError, match="choose the ground"):
        extension.extend(
            item, officer=officer, reasons="Complex.", ground="", facts=["large_volume"]
        )
    item.refresh_from_db()
    assert not item.extended
    extension.extend(
        item,
        officer=officer,
        reasons="Twelve years of orders in three systems.",
        ground="both",
        facts=["large_volume", "person_requests"],
    )
    event = item.events.get(kind=EventKind.EXTENDED)
    assert event.data == {"ground": "both", "facts": ["large_volume", "person_requests"]}


def test_staff_enter_a_letter_with_its_real_receipt_date(client, outbox):
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    response = client.post(
        reverse("staff:manual_intake"),
        {
            "right": "erasure",
            "channel": "post",
            "received_at": "2025-01-31T16:30",
            "language": "de",
            "email": "erika@example.org",
            "postal_address": "Hauptstraße 1\n10115 Berlin",
            "details": "Bitte löschen Sie alle meine Daten.",
            "send_verification": "on",
        },
    )
    item = SubjectRequest.objects.get()
    assert response["Location"] == reverse("staff:case", args=[item.reference])
    assert item.channel == "post"
    assert item.received_on.isoformat() == "2025-01-31"
    assert item.due_on.isoformat() == "2025-02-28"
    assert item.events.get(kind=EventKind.SUBMITTED).actor == officer
    assert outbox.last_to("erika@example.org")
    page = client.get(response["Location"]).content.decode()
    assert item.reference in page


def test_an_officer_verifies_manually_with_a_reason(client, outbox):
    officer, secret = make_officer()
    item = submit()
    login_with_totp(client, officer.email, PASSWORD, secret)
    client.post(reverse("staff:case_action", args=[item.reference, "verify"]), {"reason": ""})
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "verify"]),
        {"reason": "Called back on the number in the contract."},
    )
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_an_agent_is_confirmed_by_the_subject_and_the_answer_goes_to_the_agent(client, outbox):
    officer, _ = make_officer()
    agent = AgentDetails(
        name="Anna Anwalt", email="anna@kanzlei.example", authority="power_of_attorney"
    )
    item = submit(agent=agent)
    assert item.answer_email == "anna@kanzlei.example"
    verification.verify_with_code(item, code_in(outbox.last_to("anna@kanzlei.example")))
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION  # authority still needs a look
    ask = outbox.last_to("erika@example.org")
    assert "Anna Anwalt" in ask.body
    link = path_of(next(u for u in outbox.links(ask) if "/r/confirm/" in u))
    assert "Anna Anwalt" in client.get(link).content.decode()
    client.post(link, {"decision": "confirm"})
    item.refresh_from_db()
    assert item.subject_confirmed_at is not None
    # The person's confirmation is the proof of authority: the case goes on by itself.
    assert item.status == Status.VERIFIED
    assert item.verification_method == "agent_confirmed"
    assert "confirmed" in outbox.last_to("anna@kanzlei.example").subject.lower()
    with pytest.raises(RequestError, match="not waiting for verification"):
        verification.verify_manually(item, officer=officer, reason="Power of attorney checked.")


def test_a_subject_who_did_not_authorise_the_agent_stops_the_request(client, outbox):
    agent = AgentDetails(name="Mallory", email="m@evil.example", authority="other")
    item = submit(agent=agent)
    verification.verify_with_code(item, code_in(outbox.last_to("m@evil.example")))
    link = path_of(
        next(u for u in outbox.links(outbox.last_to("erika@example.org")) if "/r/confirm/" in u)
    )
    client.post(link, {"decision": "reject"})
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    assert "stopped" in outbox.last_to("m@evil.example").subject


def test_the_agent_form_needs_evidence(client):
    response = client.post(
        reverse("dsr:intake", args=["access"]),
        {"requester": "agent", "email": "erika@example.org", "agent_name": "Anna"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Please fill in this field to act for someone else.") == 3
    assert not SubjectRequest.objects.exists()


def test_the_agents_evidence_is_kept_encrypted(client, outbox):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("dsr:intake", args=["access"]),
        {
            "requester": "agent",
            "email": "erika@example.org",
            "agent_name": "Anna Anwalt",
            "agent_email": "anna@kanzlei.example",
            "agent_authority": "power_of_attorney",
            "evidence": SimpleUploadedFile("vollmacht.pdf", PDF, content_type="application/pdf"),
        },
    )
    evidence = RequestFile.objects.get(kind=FileKind.AGENT_EVIDENCE)
    with default_storage.open(evidence.storage_name, "rb") as handle:
        assert b"%PDF" not in handle.read()
    assert outbox.last_to("anna@kanzlei.example")


def test_the_case_page_shows_what_was_asked_with_the_form_labels(client, outbox):
    officer, secret = make_officer()
    item = submit(right="restriction", details={"ground": "a", "details": "My address is wrong."})
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Why should we restrict the use of your data?" in page
    assert "I contest the accuracy of my data (while it is checked)" in page
    assert "My address is wrong." in page
