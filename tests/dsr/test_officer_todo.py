"""Letters on paper (PDF copies on the case page and in the outbox, letterhead and address
block), the officer's to-do overview, and the notices that tell officers what waits for them."""

import re
import subprocess

import pytest
from django.test import TestCase
from django.urls import reverse

from connectors import registry
from dsr.core import taskqueue
from dsr.core.controller import get_controller
from dsr.core.messages import send_to_requester
from dsr.demo import load_demo
from dsr.models import (
    AuditEntry,
    AuditKind,
    CaseMessage,
    DeliveryState,
    JobStatus,
    OutboxAttachment,
    SentLetter,
    SubjectRequest,
)
from dsr.services import assignment, decisions, questions, verification
from dsr.services.digest import sections, send_digests
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

OUTBOX = "dsr.core.outbox.OutboxEmailBackend"
REFUSAL = {"ground": "manifestly_unfounded", "sub_ground": "malicious"}
REASONS = "You wrote that the request is meant to keep us busy."


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def posted_request(officer):
    """A request that came by post, without an e-mail address, verified by the officer."""
    item = submit(
        email="",
        name="Erika Mustermann",
        postal_address="Hauptstraße 1\n10115 Berlin",
        channel="post",
        language="de",
        entered_by=officer,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        verification.verify_manually(
            item, officer=officer, reason="Signed letter matches the customer file."
        )
    return SubjectRequest.objects.get(pk=item.pk)


def test_a_posted_requests_letter_is_kept_as_a_pdf_with_the_address_to_post_it_to(client):
    load_demo()
    officer, secret = make_officer()
    item = posted_request(officer)
    letter = SentLetter.objects.get(request=item, template="verified")
    assert letter.to == ""
    assert letter.with_pdf
    assert letter.pdf is not None

    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    url = reverse("staff:letter_pdf", args=[item.reference, letter.pk])
    assert f'href="{url}"' in page
    assert "Download the PDF to post" in page
    assert "to be posted" in page
    # The copy is with the letters, not among the person's uploads.
    assert reverse("staff:case_file", args=[item.reference, letter.pdf.pk]) not in page

    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{item.reference}-verified.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    # The address block of the posted letter.
    assert "Erika Mustermann" in text
    assert "Hauptstraße 1" in text
    assert "10115 Berlin" in text
    # The letterhead: the controller, its privacy contact and its data protection officer.
    head = get_controller()
    assert head.name in text
    assert head.email in text
    assert head.dpo_name in text
    assert item.reference in text
    downloads = AuditEntry.objects.filter(
        kind=AuditKind.STAFF_VIEW, request_id=item.pk, data__page=f"letter:{letter.pk}"
    )
    assert downloads.count() == 1
    assert downloads.get().actor_id == officer.pk


def test_a_letter_sent_by_e_mail_is_downloadable_as_the_pdf_that_was_attached(client, outbox):
    load_demo()
    officer, secret = make_officer()
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    mail = outbox.last_to(item.email)
    ((name, attached, _type),) = mail.attachments
    letter = SentLetter.objects.get(request=item, template="verified")
    assert name == f"{item.reference}-verified.pdf"
    login_with_totp(client, officer.email, PASSWORD, secret)
    response = client.get(reverse("staff:letter_pdf", args=[item.reference, letter.pk]))
    assert response.content == attached
    # No postal address: no address block, only the letterhead.
    assert "Erika" not in pdf_text(response.content).split(mail.subject)[0]


def test_a_letter_without_a_pdf_or_of_another_case_is_not_found(client, outbox):
    officer, secret = make_officer()
    item = submit()
    other = submit(email="max@example.org")
    code = SentLetter.objects.get(request=item)  # the acknowledgement with the code: no PDF
    login_with_totp(client, officer.email, PASSWORD, secret)
    assert (
        client.get(reverse("staff:letter_pdf", args=[item.reference, code.pk])).status_code == 404
    )
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    letter = SentLetter.objects.get(request=item, template="verified")
    url = reverse("staff:letter_pdf", args=[other.reference, letter.pk])
    assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(data__page=f"letter:{letter.pk}").exists()


def test_the_outbox_keeps_attachments_and_offers_them_for_download(client, settings, outbox):
    settings.EMAIL_BACKEND = OUTBOX
    load_demo()
    officer, secret = make_officer()
    item = submit()
    verification.verify_manually(item, officer=officer, reason="Known customer, called back.")
    attachment = OutboxAttachment.objects.get()
    assert attachment.filename == f"{item.reference}-verified.pdf"
    assert bytes(attachment.content).startswith(b"%PDF-")
    login_with_totp(client, officer.email, PASSWORD, secret)
    url = reverse("staff:outbox_attachment", args=[attachment.message_id, attachment.pk])
    assert url in client.get(reverse("staff:outbox")).content.decode()
    detail = client.get(reverse("staff:outbox_message", args=[attachment.message_id]))
    assert url in detail.content.decode()
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert bytes(response.content) == bytes(attachment.content)
    other = reverse("staff:outbox_attachment", args=[attachment.message_id + 1, attachment.pk])
    assert client.get(other).status_code == 404


def test_a_proposal_is_announced_to_the_other_officers_and_its_decision_to_the_proposer(
    outbox,
):
    load_demo()
    olivia, _ = make_officer(email="olivia@example.org")
    bruno, _ = make_officer(email="bruno@example.org")
    bruno.language = "de"
    bruno.save()
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        proposal = decisions.propose(
            item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
        )
    assert not outbox.to("olivia@example.org")
    asked = outbox.last_to("bruno@example.org")
    assert asked.subject == f"{item.reference}: eine Entscheidung wartet auf Ihre Freigabe"
    link = reverse("staff:case", args=[item.reference]) + f"#proposal-{proposal.pk}"
    assert link in asked.body
    assert item.email not in asked.body
    assert item.email not in asked.subject

    with TestCase.captureOnCommitCallbacks(execute=True):
        decisions.approve(proposal, officer=bruno)
    told = outbox.last_to("olivia@example.org")
    assert told.subject == f"{item.reference}: your proposal was approved"
    assert "carried out" in told.body


def test_an_officer_who_turned_a_kind_off_is_not_e_mailed_but_still_sees_the_work(client, outbox):
    load_demo()
    olivia, _ = make_officer(email="olivia@example.org")
    bruno, secret = make_officer(email="bruno@example.org")
    login_with_totp(client, bruno.email, PASSWORD, secret)
    client.post(reverse("staff:notification_settings"), {"wanted": ["decided", "answer"]})
    bruno.refresh_from_db()
    assert set(bruno.notifications_off) == {"approval", "failure", "assigned"}
    page = client.get(reverse("staff:dashboard")).content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="wanted" value="(\w+)"([^>]*)>', page))
    assert {kind for kind, rest in boxes.items() if "checked" in rest} == {"decided", "answer"}

    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    with TestCase.captureOnCommitCallbacks(execute=True):
        proposal = decisions.propose(
            item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
        )
        assignment.assign(item, officer=olivia, assignee=bruno)
    assert not outbox.to("bruno@example.org")
    page = client.get(reverse("staff:dashboard")).content.decode()
    approval = page.split('id="todo-approval"')[1].split("</section>")[0]
    assert item.reference in approval
    assert f"#proposal-{proposal.pk}" in approval
    mine = page.split('id="todo-mine"')[1].split("</section>")[0]
    assert item.reference in mine
    assert "?assignee=me" in mine


def test_a_requesters_answer_goes_to_the_assignee_and_is_read_once_they_open_the_case(
    client, outbox
):
    olivia, _ = make_officer(email="olivia@example.org")
    bruno, secret = make_officer(email="bruno@example.org")
    item = submit()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment.assign(item, officer=olivia, assignee=bruno)
    assigned = outbox.last_to("bruno@example.org")
    assert assigned.subject == f"{item.reference} was assigned to you"
    questions.request_information(
        item, officer=bruno, purpose="scope", question="Which of your accounts?"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        questions.answer_information(item, body="The one with the shop.")
    answered = outbox.last_to("bruno@example.org")
    assert answered.subject == f"{item.reference}: the requester answered"
    assert "The one with the shop." not in answered.body  # the message stays on the case
    assert not outbox.to("olivia@example.org")

    def answers_on_overview():
        page = client.get(reverse("staff:dashboard")).content.decode()
        return page.split('id="todo-answers"')[1].split("</section>")[0]

    login_with_totp(client, bruno.email, PASSWORD, secret)
    assert item.reference in answers_on_overview()
    assert refs(sections(bruno, item.due_on)["answers"]) == [item.reference]
    client.get(reverse("staff:case", args=[item.reference]))
    assert CaseMessage.objects.get(direction="in").read_at is not None
    assert item.reference not in answers_on_overview()


def refs(lines):
    return [line["reference"] for line in lines]


@pytest.fixture
def failing_system(settings, tmp_path):
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "fake"), "fail": "permanent"},
        }
    }
    registry.reset()
    yield
    registry.reset()


def test_a_failed_job_is_told_to_every_officer_while_nobody_works_the_case(
    client, outbox, failing_system
):
    olivia, secret = make_officer(email="olivia@example.org")
    bruno, _ = make_officer(email="bruno@example.org")
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    job = item.jobs.get(status=JobStatus.FAILED)
    for officer in (olivia, bruno):
        told = outbox.last_to(officer.email)
        assert told.subject == f"{item.reference}: a system's job failed"
        assert '"shop"' in told.body
    login_with_totp(client, olivia.email, PASSWORD, secret)
    page = client.get(reverse("staff:dashboard")).content.decode()
    failed = page.split('id="todo-failed_jobs"')[1].split("</section>")[0]
    assert item.reference in failed
    assert "?failed=on" in failed
    assert job.pk


def test_a_failed_delivery_is_told_to_the_assignee(outbox, settings):
    olivia, _ = make_officer(email="olivia@example.org")
    bruno, _ = make_officer(email="bruno@example.org")
    item = submit()
    assignment.assign(item, officer=bruno, assignee=bruno)
    settings.EMAIL_BACKEND = "tests.dsr.test_deliveries.RefusedBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_to_requester(item, "withdrawn")
    delivery = item.deliveries.get(label="withdrawn")
    assert delivery.state == DeliveryState.FAILED
    # The notice itself is owed (the refusing backend refuses it too, and that tells nobody).
    notices = taskqueue.Delivery.objects.filter(label="staff_notice")
    assert notices.count() == 1
    assert notices.get().args[:2] == [bruno.pk, "failure"]
    assert sections(bruno, item.due_on)["failed"][0]["reference"] == item.reference
    assert not sections(olivia, item.due_on)["failed"]


def test_the_digest_names_the_proposals_that_wait_for_the_other_officers(outbox):
    load_demo()
    olivia, _ = make_officer(email="olivia@example.org")
    bruno, _ = make_officer(email="bruno@example.org")
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    decisions.propose(item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    day = item.received_on
    assert refs(sections(bruno, day)["approvals"]) == [item.reference]
    assert sections(olivia, day)["approvals"] == []
    outbox.messages.clear()
    send_digests(day)
    digest = outbox.last_to("bruno@example.org")
    assert "waiting for your approval" in digest.body
    assert item.reference in digest.body
    assert item.email not in digest.body
    assert not outbox.to("olivia@example.org")


def test_a_letter_sent_before_copies_were_kept_is_set_again_from_its_text(client):
    load_demo()
    officer, secret = make_officer()
    item = posted_request(officer)
    old = SentLetter.objects.create(
        request=item,
        template="extended",
        to="erika@example.org",
        subject=f"Your request {item.reference}: more time",
        body="We need two more months because of the volume of data.",
        with_pdf=True,
    )
    login_with_totp(client, officer.email, PASSWORD, secret)
    response = client.get(reverse("staff:letter_pdf", args=[item.reference, old.pk]))
    text = pdf_text(response.content)
    assert f"Your request {item.reference}: more time" in text
    assert "two more months" in text
    assert "10115 Berlin" in text
