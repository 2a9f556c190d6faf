"""Preview and confirm (issue 17, item 4): an action that sends something or cannot be undone
first shows its letters as they will go out, in the request's language, and runs only when the
officer confirms what they saw; a stale preview is shown again instead of sending."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dsr.demo_register import load_register
from dsr.models import Delivery, EventKind, OtherController, Proposal, Status
from dsr.services import decisions, notes, verification
from tests.factories import PASSWORD, second_officer, submit
from tests.helpers import code_in, confirmation, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

REASONS = "Ihre Anfrage betrifft zwölf Systeme und drei Konzerngesellschaften."
EXTEND = {"ground": "complexity", "facts": ["many_systems"], "reasons": REASONS}


@pytest.fixture
def officer_client(officer):
    client = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    return client


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.answer_email)))
    item.refresh_from_db()
    return item


def url(item, action):
    return reverse("staff:case_action", args=[item.reference, action])


def owed(item):
    return Delivery.objects.filter(request=item).count()


def test_extending_shows_the_german_letter_first_and_sends_exactly_it_once_confirmed(
    officer_client, outbox
):
    item = verified(outbox, language="de")
    sent, deliveries = len(outbox.messages), owed(item)

    preview = officer_client.post(url(item, "extend"), EXTEND)
    assert preview.status_code == 200
    page = preview.content.decode()
    # The officer's page is in English; the letter in it is German and says so.
    assert "Check before you confirm: Extend the deadline" in page
    assert "Letter in German" in page
    assert 'lang="de"' in page
    assert REASONS in page
    assert f"Mehr Zeit für Anfrage {item.reference} erforderlich" in page
    assert "Confirm and send" in page
    # Nothing happened yet: no event, nothing owed, nothing sent.
    item.refresh_from_db()
    assert not item.extended
    assert not item.events.filter(kind=EventKind.EXTENDED).exists()
    assert (len(outbox.messages), owed(item)) == (sent, deliveries)

    done = officer_client.post(url(item, "extend"), {**EXTEND, "confirm": confirmation(page)})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.extended
    letter = outbox.last_to(item.email)
    assert letter.subject in page
    # The very text that was previewed went out (the page escapes it, like the text here).
    assert " ".join(letter.body.split())[:200] in " ".join(page.split()).replace("&#x27;", "'")


def test_a_preview_made_stale_by_a_change_to_the_case_is_shown_again_and_nothing_is_sent(
    officer_client, officer, outbox
):
    item = verified(outbox, language="de")
    page = officer_client.post(url(item, "extend"), EXTEND).content.decode()
    seen = confirmation(page)
    # A colleague acts on the case meanwhile.
    notes.add_note(item, officer=second_officer(), body="Called the requester.")
    sent = len(outbox.messages)

    stale = officer_client.post(url(item, "extend"), {**EXTEND, "confirm": seen})
    assert stale.status_code == 409
    again = stale.content.decode()
    assert "The case changed after you saw the preview, so nothing was done." in again
    assert "Letter in German" in again
    item.refresh_from_db()
    assert not item.extended
    assert len(outbox.messages) == sent
    fresh = confirmation(again)
    assert fresh != seen

    officer_client.post(url(item, "extend"), {**EXTEND, "confirm": fresh})
    item.refresh_from_db()
    assert item.extended


def test_a_preview_confirmed_minutes_later_in_the_same_state_goes_through(officer_client, outbox):
    """The letters' signed links carry the moment they were made: that alone is no change."""
    item = submit(language="de")
    data = {"reason": "Called back on the contract number."}
    page = officer_client.post(url(item, "verify"), data).content.decode()
    assert "/r/" in page  # the status link, signed
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        done = officer_client.post(url(item, "verify"), {**data, "confirm": confirmation(page)})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_a_made_up_confirmation_does_nothing(officer_client, outbox):
    item = verified(outbox)
    response = officer_client.post(url(item, "extend"), {**EXTEND, "confirm": "0" * 64})
    assert response.status_code == 409
    item.refresh_from_db()
    assert not item.extended


def test_a_confirmation_of_other_data_does_not_send_the_letter_seen(officer_client, outbox):
    """The confirmation belongs to the letter it was made for: other reasons are another
    letter, previewed again."""
    item = verified(outbox, language="de")
    page = officer_client.post(url(item, "extend"), EXTEND).content.decode()
    other = {**EXTEND, "reasons": "Andere Gründe."}
    response = officer_client.post(url(item, "extend"), {**other, "confirm": confirmation(page)})
    assert response.status_code == 409
    assert "Andere Gründe." in response.content.decode()
    item.refresh_from_db()
    assert not item.extended


def _preview_then_confirm(client, item, action, data):
    """The preview page, the state before it, and the answer to the confirmation."""
    events = item.events.count()
    deliveries = owed(item)
    preview = client.post(url(item, action), data)
    assert preview.status_code == 200, preview.content[:300]
    page = preview.content.decode()
    assert item.events.count() == events, action  # the rehearsal left nothing behind
    assert owed(item) == deliveries, action
    done = client.post(url(item, action), {**data, "confirm": confirmation(page)})
    assert done.status_code == 302, action
    return page


def test_asking_the_requester_is_previewed_in_the_requests_language(officer_client, outbox):
    item = verified(outbox, language="nl")
    question = "Welk klantnummer staat op uw contract?"
    page = _preview_then_confirm(
        officer_client,
        item,
        "ask",
        {"question": question, "purpose": "scope", "reason": "Which contract is meant."},
    )
    assert "Letter in Dutch" in page
    assert question in page
    assert item.messages.filter(body=question).exists()


def test_verifying_by_hand_is_previewed(officer_client, outbox):
    item = submit(language="de")
    page = _preview_then_confirm(
        officer_client, item, "verify", {"reason": "Called back on the contract number."}
    )
    assert "Check before you confirm: Record the identity as verified" in page
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_a_refusal_is_previewed_with_its_reasons_and_remedies(officer_client, outbox):
    item = verified(outbox, language="de")
    reasons = "Sie schrieben, Sie wollten uns beschäftigen."
    data = {"ground": "manifestly_unfounded", "sub_ground": "malicious", "reason": reasons}
    page = _preview_then_confirm(officer_client, item, "refusal", data)
    assert "Check before you confirm: Refuse the request" in page
    assert reasons in page
    assert "Letter in German" in page
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    assert reasons in outbox.last_to(item.email).body


def test_a_proposal_waits_unconfirmed_and_its_approval_is_previewed(
    officer_client, officer, outbox, settings
):
    settings.DSR_FOUR_EYES = ["access"]
    item = verified(outbox, language="de")
    reasons = "Sie schrieben, Sie wollten uns beschäftigen."
    data = {"ground": "manifestly_unfounded", "sub_ground": "malicious", "reason": reasons}
    other = second_officer()
    # The proposal can be withdrawn and sends nothing: no preview.
    decisions.propose(
        item,
        officer=other,
        kind="refusal",
        reason=reasons,
        payload={"ground": "manifestly_unfounded", "sub_ground": "malicious", "partial": False},
    )
    proposal = Proposal.objects.get()
    page = _preview_then_confirm(
        officer_client, item, "approve_proposal", {"proposal": proposal.pk}
    )
    assert "Check before you confirm: Approve the proposal" in page
    assert reasons in page
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    assert data["reason"] in outbox.last_to(item.email).body


def test_proposing_under_four_eyes_is_not_previewed(officer_client, outbox, settings):
    settings.DSR_FOUR_EYES = ["access"]
    item = verified(outbox)
    data = {"ground": "manifestly_unfounded", "sub_ground": "malicious", "reason": "Busy work."}
    response = officer_client.post(url(item, "refusal"), data)
    assert response.status_code == 302
    assert Proposal.objects.filter(request=item).exists()


def test_a_fee_is_previewed(officer_client, outbox):
    item = verified(outbox, language="nl")
    data = {
        "basis": "manifestly_unfounded",
        "sub_ground": "malicious",
        "amount": "25",
        "currency": "EUR",
        "reason": "U schreef dat u ons bezig wilt houden.",
    }
    page = _preview_then_confirm(officer_client, item, "fee", data)
    assert "Check before you confirm: Ask for a fee" in page
    assert "25,00 EUR" in page
    assert item.events.filter(kind=EventKind.FEE_REQUESTED).exists()


def test_forwarding_is_previewed(officer_client, outbox):
    load_register()  # the controllers we forward to
    item = verified(outbox, language="de")
    party = OtherController.objects.get(name="Facebook Ireland Ltd")
    page = _preview_then_confirm(
        officer_client, item, "forward", {"party": party.pk, "note": "Pixel data only, please."}
    )
    assert "Check before you confirm: Forward the request" in page
    assert party.name in page
    assert item.forwardings.filter(party=party).exists()


def test_an_action_the_case_refuses_says_why_and_previews_nothing(officer_client, outbox):
    item = verified(outbox)
    response = officer_client.post(url(item, "complete"), {}, follow=True)
    page = response.content.decode()
    assert "Check before you confirm" not in page
    assert response.redirect_chain  # back on the case page, with the reason
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_rejecting_an_objection_is_previewed_with_the_assessment(officer_client, outbox, shop):
    item = verified(
        outbox,
        right="objection",
        language="de",
        details={"kind": "particular_situation", "situation": "Mein früherer Partner."},
    )
    assessment = "Wir müssen die Vertragsdaten für den Rechtsstreit 3 O 123/25 behalten."
    page = _preview_then_confirm(
        officer_client, item, "objection", {"upheld": "0", "reason": assessment}
    )
    assert "Check before you confirm: Decide on the objection" in page
    assert assessment in page
    assert "Letter in German" in page
    item.refresh_from_db()
    assert item.status == Status.REFUSED


def test_recording_a_fee_payment_is_confirmed_first(officer_client, officer, outbox):
    item = verified(outbox)
    decisions.decide(
        item,
        officer=officer,
        kind="fee",
        reason="You wrote that you file these to keep our staff busy.",
        payload={
            "basis": "manifestly_unfounded",
            "sub_ground": "malicious",
            "amount": "10",
            "currency": "EUR",
        },
    )
    _preview_then_confirm(officer_client, item, "fee_paid", {"reason": "Transfer of 3 Dec."})
    assert item.events.filter(kind=EventKind.FEE_PAID).exists()


def test_telling_of_the_lift_and_lifting_a_restriction_are_previewed(officer_client, outbox, shop):
    item = verified(
        outbox, right="restriction", language="de", details={"ground": "a", "details": ""}
    )
    page = _preview_then_confirm(officer_client, item, "notify_lift", {})
    assert "Letter in German" in page
    assert 'data-template="restriction_lift"' in page
    page = _preview_then_confirm(officer_client, item, "lift", {})
    assert "Check before you confirm: Lift the restriction" in page
    assert 'id="preview-no-letter"' in page
    assert item.jobs.filter(action="lift_restriction").exists()
