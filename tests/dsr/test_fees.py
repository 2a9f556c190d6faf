"""A reasonable fee instead of a refusal (Art. 12(5)(a) GDPR): only for a copy of the data,
under four eyes like a refusal, with its own letter; the answer waits for the payment, the
clock does not (issue 15, item 2)."""

import subprocess

import pytest
from django.urls import reverse

from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.demo import load_demo
from dsr.models import AnswerPackage, EventKind
from dsr.services import answers, decisions, fees, verification
from tests.factories import PASSWORD, make_officer, second_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

MALICIOUS = {"basis": "manifestly_unfounded", "sub_ground": "malicious", "currency": "EUR"}


def verified(outbox, *, right="access", details=None, language="en"):
    item = submit(right=right, details=details, language=language)
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    item.refresh_from_db()
    return item


def test_no_fee_for_a_rectification(outbox, client):
    load_demo()
    officer, secret = make_officer()
    item = verified(
        outbox,
        right="rectification",
        details={"inaccurate": "address", "correction": "Kölner Str. 1"},
    )
    with pytest.raises(RequestError, match="never for a request for correction"):
        decisions.propose(
            item,
            officer=officer,
            kind="fee",
            reason="You file these to disrupt us.",
            payload={**MALICIOUS, "amount": "25"},
        )
    assert not item.proposals.exists()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert reverse("staff:case_action", args=[item.reference, "fee"]) not in page


def test_no_fee_for_the_first_copy_nor_for_effort(outbox, settings):
    settings.DSR_FOUR_EYES = []
    load_demo()
    officer, _ = make_officer()
    item = verified(outbox)
    copy = {"basis": "further_copy", "amount": "10", "currency": "EUR"}
    with pytest.raises(RequestError, match="The first copy is free"):
        decisions.decide(item, officer=officer, kind="fee", reason="Costs.", payload=copy)
    with pytest.raises(RequestError, match="Effort or volume never makes"):
        decisions.decide(
            item,
            officer=officer,
            kind="fee",
            reason="A lot of work.",
            payload={
                "basis": "excessive",
                "sub_ground": "effort",
                "amount": "10",
                "currency": "EUR",
            },
        )
    with pytest.raises(RequestError, match="amount above zero"):
        decisions.decide(
            item,
            officer=officer,
            kind="fee",
            reason="To disrupt.",
            payload={**MALICIOUS, "amount": "0"},
        )
    # Once a copy was given, a further copy may cost a reasonable fee.
    record(item, EventKind.ANSWER_RELEASED)
    further = verified(outbox)
    decisions.decide(further, officer=officer, kind="fee", reason="Copying costs.", payload=copy)
    event = further.events.get(kind=EventKind.FEE_REQUESTED)
    assert event.data["earlier"][0]["reference"] == item.reference
    assert event.data["amount"] == "10.00"


def test_the_fee_letter_is_in_the_persons_language_and_the_answer_waits_for_payment(outbox):
    load_demo()
    olivia, _ = make_officer(email="olivia@example.org")
    item = verified(outbox, language="nl")
    due_before = item.due_on
    reasons = "U schreef dat u deze verzoeken indient om ons personeel bezig te houden."
    proposal = decisions.propose(
        item, officer=olivia, kind="fee", reason=reasons, payload={**MALICIOUS, "amount": "25,5"}
    )
    assert not item.events.filter(kind=EventKind.FEE_REQUESTED).exists()  # four eyes first
    decisions.approve(proposal, officer=second_officer())
    item.refresh_from_db()
    event = item.events.get(kind=EventKind.FEE_REQUESTED)
    assert event.data["amount"] == "25.50"
    assert event.data["proposal"] == proposal.pk

    letter = outbox.last_to("erika@example.org")
    body = " ".join(letter.body.split())
    assert "een vergoeding" in letter.subject
    assert "25,50 EUR" in body
    assert reasons in body
    assert "Kennelijk ongegrond" in body
    assert "U hoeft niet te betalen" in body
    assert "voorziening in rechte" in body  # the judicial remedy, as in a refusal
    assert "LDI NRW" in body  # the competent authority, named
    pdf = letter.attachments[0][1]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "25,50 EUR" in text

    # The clock: neither paused nor extended by the fee.
    assert item.due_on == due_before
    assert not item.paused
    assert not item.extended

    # The answer waits for the payment; recording it lets the case go on.
    package = AnswerPackage.objects.create(request=item, manifest={})
    with pytest.raises(RequestError, match="not recorded as paid"):
        answers.release(package, officer=olivia)
    with pytest.raises(RequestError, match="already been asked for"):
        fees.validate(item, fees.fee_for(reasons, {**MALICIOUS, "amount": "25"}))
    fees.record_payment(item, officer=olivia, note="Überweisung 2026-12-03, Ref. 4711")
    assert fees.outstanding(item) is None
    with pytest.raises(RequestError, match="Not every system has answered yet"):
        answers.release(package, officer=olivia)
