"""A refusal carries the Art. 12(4) elements, or it is not sent."""

import subprocess

import pytest

from dsr.core.errors import RequestError
from dsr.demo import load_demo
from dsr.models import EventKind, Status
from dsr.services import questions, verification
from dsr.services.refusals import Refusal, refuse
from tests.factories import make_officer, submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _one_officer_decides(settings):
    """The letter is the subject here; four eyes on refusals: tests/dsr/test_four_eyes.py."""
    settings.DSR_FOUR_EYES = []


def verified(outbox, language="en"):
    item = submit(language=language)
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    item.refresh_from_db()
    return item


def test_a_refusal_without_reasons_or_without_an_authority_is_not_sent(outbox):
    officer, _ = make_officer()
    item = verified(outbox)
    sent = len(outbox.messages)
    with pytest.raises(RequestError, match="reasons"):
        refuse(item, officer=officer, refusal=Refusal("excessive", reasons="  "))
    with pytest.raises(RequestError, match="supervisory authority"):
        refuse(item, officer=officer, refusal=Refusal("excessive", reasons="Third request"))
    load_demo()
    with pytest.raises(RequestError, match="provision"):
        refuse(item, officer=officer, refusal=Refusal("exception", reasons="Kept by law"))
    assert len(outbox.messages) == sent
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_the_refusal_names_reasons_authority_and_court_in_mail_and_letter(outbox):
    officer, _ = make_officer()
    load_demo()
    item = verified(outbox, language="de")
    refuse(
        item,
        officer=officer,
        refusal=Refusal(
            "exception",
            reasons="Die Rechnungen müssen wir aufbewahren.",
            statute="Art. 17 Abs. 3 lit. b DSGVO, § 147 AO",
            partial=True,
        ),
    )
    message = outbox.last_to("erika@example.org")
    for text in (
        "Die Rechnungen müssen wir aufbewahren.",
        "§ 147 AO",
        "LDI NRW",  # the one authority competent for a request about no particular matter
        "Aufsichtsbehörde",
        "Art. 78",
    ):
        assert text in message.body, text
    assert "BfDI" not in message.body  # competent only for telecommunications
    ((name, pdf, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    assert name.endswith("-refused.pdf")
    letter = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Die Rechnungen müssen wir aufbewahren." in letter
    assert "LDI NRW" in " ".join(letter.split())  # across the PDF's line breaks
    item.refresh_from_db()
    assert item.status == Status.VERIFIED  # a partial refusal leaves the rest to do
    assert item.events.get(kind=EventKind.PARTLY_REFUSED).actor == officer


def test_a_full_refusal_closes_the_request(outbox):
    officer, _ = make_officer()
    load_demo()
    item = verified(outbox)
    refuse(
        item,
        officer=officer,
        refusal=Refusal("manifestly_unfounded", reasons="The request names no person."),
    )
    item.refresh_from_db()
    assert item.status == Status.REFUSED


def test_the_acknowledgement_and_questions_come_with_a_pdf_letter_too(outbox):
    officer, _ = make_officer()
    item = verified(outbox, language="nl")
    acknowledgement = outbox.last_to("erika@example.org")
    assert acknowledgement.attachments[0][0] == f"{item.reference}-verified.pdf"
    questions.request_information(
        item, officer=officer, purpose="identity", question="Welk contractnummer?"
    )
    question = outbox.last_to("erika@example.org")
    pdf = question.attachments[0][1]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Welk contractnummer?" in text
