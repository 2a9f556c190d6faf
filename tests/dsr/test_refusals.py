"""A refusal carries the Art. 12(4) elements, or it is not sent."""

import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dsr.core.errors import RequestError
from dsr.demo import load_demo
from dsr.models import EventKind, Status
from dsr.services import questions, verification
from dsr.services.refusals import Refusal, refuse
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp

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
        refuse(
            item,
            officer=officer,
            refusal=Refusal("manifestly_unfounded", reasons="To disrupt", sub_ground="malicious"),
        )
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
        refusal=Refusal(
            "manifestly_unfounded",
            reasons="You offered to withdraw it for a voucher.",
            sub_ground="no_intention",
        ),
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


def test_effort_is_never_a_ground_and_repetitive_needs_an_earlier_request(outbox, client):
    load_demo()
    officer, secret = make_officer()
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        too_old = submit(language="de")  # more than 12 months before: does not count
    item = verified(outbox, language="de")
    for ground in ("manifestly_unfounded", "excessive"):
        with pytest.raises(RequestError, match="Effort or volume never makes"):
            refuse(
                item,
                officer=officer,
                refusal=Refusal(ground, reasons="Das ist sehr viel Arbeit.", sub_ground="effort"),
            )
    with pytest.raises(RequestError, match="what makes the request"):
        refuse(item, officer=officer, refusal=Refusal("excessive", reasons="Schon wieder."))
    with pytest.raises(RequestError, match="Nothing supports 'repetitive'"):
        refuse(
            item,
            officer=officer,
            refusal=Refusal("excessive", reasons="Schon wieder.", sub_ground="repetitive"),
        )
    # The officer sees the earlier requests that count (none yet) under the refusal form.
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "none: this request cannot be called repetitive." in page
    assert too_old.reference not in page

    earlier = verified(outbox, language="de")  # the same person, the same right, this year
    later = verified(outbox, language="de")
    page = client.get(reverse("staff:case", args=[later.reference])).content.decode()
    assert f'href="{reverse("staff:case", args=[earlier.reference])}"' in page
    refuse(
        later,
        officer=officer,
        refusal=Refusal(
            "excessive",
            reasons="Sie haben dieselbe Auskunft vor wenigen Tagen erhalten.",
            sub_ground="repetitive",
        ),
    )
    event = later.events.get(kind=EventKind.REFUSED)
    assert [e["reference"] for e in event.data["earlier"]] == [item.reference, earlier.reference]
    letter = " ".join(outbox.last_to("erika@example.org").body.split())
    assert "Sie haben denselben Antrag kurz zuvor schon gestellt" in letter
    assert (
        f"Ihre früheren Anträge zum selben Anliegen: - {item.reference}, eingegangen am" in letter
    )
    assert earlier.reference in letter
    assert too_old.reference not in letter


def _asking(outbox, scope):
    item = submit(language="de", details={"scope": scope})
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    item.refresh_from_db()
    return item


def test_repetitive_is_refused_when_the_earlier_request_asked_for_something_else(outbox, client):
    load_demo()
    officer, secret = make_officer()
    invoices = _asking(outbox, "Meine Rechnungen aus dem Abrechnungssystem")
    chats = _asking(outbox, "Die Chatprotokolle mit dem Kundendienst")
    refusal = Refusal("excessive", reasons="Sie haben das schon gefragt.", sub_ground="repetitive")
    with pytest.raises(RequestError, match="materially different"):
        refuse(chats, officer=officer, refusal=refusal)
    # An earlier request for a part does not cover a later one for everything.
    everything = _asking(outbox, "")
    with pytest.raises(RequestError, match="materially different"):
        refuse(everything, officer=officer, refusal=refusal)

    # The officer sees what each earlier request asked and what became of it.
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[chats.reference])).content.decode()
    assert "Meine Rechnungen aus dem Abrechnungssystem" in page
    assert "asked for something else: does not make this one repetitive" in page
    assert "not answered yet" in page

    # The same scope again (spelling aside) is a repetition, and so is anything after a request
    # for everything; the letter names those, not the one that asked for something else.
    again = _asking(outbox, "  meine Rechnungen aus dem  Abrechnungssystem ")
    refuse(again, officer=officer, refusal=refusal)
    event = again.events.get(kind=EventKind.REFUSED)
    assert [e["reference"] for e in event.data["earlier"]] == [
        invoices.reference,
        everything.reference,
    ]
    letter = outbox.last_to("erika@example.org").body
    assert invoices.reference in letter
    assert chats.reference not in letter
