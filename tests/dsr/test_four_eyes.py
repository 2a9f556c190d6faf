"""Decisions under four eyes: one officer proposes, another approves; never the same person."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors import registry
from dsr.core import four_eyes
from dsr.core.errors import RequestError
from dsr.core.tokens import status_token
from dsr.demo import load_demo
from dsr.models import EventKind, JobStatus, Proposal, ProposalOutcome, Status, SubjectRequest
from dsr.processing.dispatch import needs_approval
from dsr.services import decisions, erasure_approval, verification
from dsr.services.completion import complete
from dsr.services.refusals import Refusal, refuse
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import code_in, login_with_totp, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = {
    "ground": "manifestly_unfounded",
    "statute": "",
    "partial": False,
    "sub_ground": "malicious",
}
REASONS = "You wrote that you file these requests to keep our staff busy."


def _refusal():
    return {
        "ground": "manifestly_unfounded",
        "reasons": REASONS,
        "sub_ground": "malicious",
    }


PARTICULAR = {"kind": "particular_situation", "situation": "My former partner works there."}


@pytest.fixture
def officers():
    """Olivia proposes, Bruno is the second officer."""
    olivia, olivia_secret = make_officer(email="olivia@example.org")
    bruno, bruno_secret = make_officer(email="bruno@example.org")
    return olivia, bruno, olivia_secret, bruno_secret


@pytest.fixture
def shop(settings, tmp_path):
    """One source system (the fake connector): what an approval starts is visible as jobs."""
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "fake")},
        }
    }
    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    registry.reset()
    yield
    registry.reset()


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.answer_email)))
    return SubjectRequest.objects.get(pk=item.pk)


def kinds(item):
    return list(item.events.values_list("kind", flat=True))


# --- the rule itself ----------------------------------------------------------------------------


def test_the_proposer_cannot_approve_a_refusal_a_second_officer_sends_it(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox)
    proposal = decisions.propose(
        item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
    )
    sent = len(outbox.messages)
    with pytest.raises(RequestError, match="another officer must approve it"):
        decisions.approve(proposal, officer=olivia)
    assert len(outbox.messages) == sent
    assert Proposal.objects.get(pk=proposal.pk).outcome == ProposalOutcome.PENDING

    decisions.approve(proposal, officer=bruno, reason="Checked the three earlier answers.")
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    letter = outbox.last_to("erika@example.org")
    for text in (
        REASONS,
        "Manifestly unfounded",
        "sole intent to cause disruption",
        "LDI NRW",
        "supervisory authority",
        "Art. 78",
    ):
        assert text in letter.body, text
    assert letter.attachments[0][0].endswith("-refused.pdf")

    proposed = item.events.get(kind=EventKind.PROPOSED)
    assert (proposed.actor, proposed.reason) == (olivia, REASONS)
    assert proposed.data["ground"] == "manifestly_unfounded"
    approved = item.events.get(kind=EventKind.PROPOSAL_APPROVED)
    assert (approved.actor, approved.reason) == (bruno, "Checked the three earlier answers.")
    refused = item.events.get(kind=EventKind.REFUSED)
    assert refused.actor == bruno
    assert refused.reason == REASONS
    assert refused.data["proposed_by"] == olivia.pk
    proposal.refresh_from_db()
    assert (proposal.outcome, proposal.decided_by) == (ProposalOutcome.APPROVED, bruno)


def test_an_approval_carries_out_exactly_what_was_proposed_once(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox)
    proposal = decisions.propose(
        item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL | {"partial": True}
    )
    decisions.approve(proposal, officer=bruno)
    proposal.refresh_from_db()
    other = Refusal(
        "manifestly_unfounded", reasons="Something else.", partial=True, sub_ground="malicious"
    )
    with pytest.raises(RequestError, match="already been carried out"):
        refuse(item, officer=bruno, refusal=other, proposal=proposal)
    assert item.events.filter(kind=EventKind.PARTLY_REFUSED).count() == 1


def test_the_database_refuses_a_decision_by_the_proposer(officers, outbox):
    olivia, *_ = officers
    load_demo()
    proposal = decisions.propose(
        verified(outbox), officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(
            outcome=ProposalOutcome.APPROVED, decided_by=olivia, decided_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(outcome=ProposalOutcome.APPROVED)


def test_only_one_proposal_per_decision_waits_at_a_time(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox)
    decisions.propose(item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    with pytest.raises(RequestError, match="already waiting"):
        decisions.propose(item, officer=bruno, kind="refusal", reason=REASONS, payload=REFUSAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(request=item, kind="refusal", reason="x", proposed_by=bruno)


def test_a_refusal_that_could_not_be_sent_cannot_even_be_proposed(officers, outbox):
    olivia, *_ = officers
    item = verified(outbox)
    with pytest.raises(RequestError, match="supervisory authority"):
        decisions.propose(item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    load_demo()
    with pytest.raises(RequestError, match="reasons"):
        decisions.propose(item, officer=olivia, kind="refusal", reason="  ", payload=REFUSAL)
    with pytest.raises(RequestError, match="provision"):
        decisions.propose(
            item,
            officer=olivia,
            kind="refusal",
            reason="The invoices are kept by law.",
            payload={"ground": "exception", "statute": " "},
        )
    with pytest.raises(RequestError, match="ground"):
        decisions.propose(
            item,
            officer=olivia,
            kind="refusal",
            reason=REASONS,
            payload={"ground": "compelling_grounds"},  # only the objection decision uses it
        )
    assert not Proposal.objects.exists()
    assert EventKind.PROPOSED not in kinds(item)


def test_a_second_officer_sends_a_proposal_back_with_a_reason(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox)
    proposal = decisions.propose(
        item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
    )
    sent = len(outbox.messages)
    with pytest.raises(RequestError, match="why"):
        decisions.reject(proposal, officer=bruno, reason=" ")
    with pytest.raises(RequestError, match="withdraw"):
        decisions.reject(proposal, officer=olivia, reason="Changed my mind.")
    decisions.reject(proposal, officer=bruno, reason="Three requests in a year are not excessive.")
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    # The requester hears nothing of it; the proposer is told it came back.
    assert [m.to for m in outbox.messages[sent:]] == [[olivia.email]]
    event = item.events.get(kind=EventKind.PROPOSAL_REJECTED)
    assert (event.actor, event.reason) == (bruno, "Three requests in a year are not excessive.")
    assert event.data["proposed_by"] == olivia.pk
    with pytest.raises(RequestError, match="already been decided"):
        decisions.approve(proposal, officer=bruno)
    # Sent back, it no longer blocks a corrected proposal.
    decisions.propose(
        item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL | {"partial": True}
    )


def test_only_the_proposer_withdraws_a_proposal(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox)
    proposal = decisions.propose(
        item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL
    )
    with pytest.raises(RequestError, match="Only the officer who proposed"):
        decisions.withdraw(proposal, officer=bruno)
    decisions.withdraw(proposal, officer=olivia, reason="Wrong case.")
    proposal.refresh_from_db()
    assert proposal.outcome == ProposalOutcome.WITHDRAWN
    assert proposal.decided_by is None
    assert item.events.get(kind=EventKind.PROPOSAL_WITHDRAWN).actor == olivia


# --- the setting ----------------------------------------------------------------------------------


def test_without_four_eyes_one_officer_refuses_directly(officers, outbox, settings):
    settings.DSR_FOUR_EYES = []
    olivia, *_ = officers
    load_demo()
    item = verified(outbox)
    decisions.decide(item, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    assert not Proposal.objects.exists()
    refused = item.events.get(kind=EventKind.REFUSED)
    assert (refused.actor, refused.reason) == (olivia, REASONS)
    assert REASONS in outbox.last_to("erika@example.org").body


def test_four_eyes_for_erasure_only_leaves_refusing_an_access_request_to_one_officer(
    officers, outbox, settings
):
    settings.DSR_FOUR_EYES = ["erasure"]
    olivia, *_ = officers
    load_demo()
    access = verified(outbox)
    erasure = verified(
        outbox, right="erasure", email="max@example.org", details={"scope": "all", "parts": ""}
    )
    with pytest.raises(RequestError, match="second officer"):
        decisions.decide(erasure, officer=olivia, kind="erasure", reason="All clear.")
    with pytest.raises(RequestError, match="second officer"):
        decisions.decide(erasure, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    decisions.decide(access, officer=olivia, kind="refusal", reason=REASONS, payload=REFUSAL)
    access.refresh_from_db()
    assert access.status == Status.REFUSED


def test_a_direct_call_cannot_skip_the_second_officer(officers, outbox):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    with pytest.raises(RequestError, match="second officer"):
        erasure_approval.approve(item, officer=olivia)
    with pytest.raises(RequestError, match="second officer"):
        refuse(item, officer=olivia, refusal=Refusal(**_refusal()))
    proposal = decisions.propose(item, officer=olivia, kind="erasure", reason="All clear.")
    with pytest.raises(RequestError, match="not been approved"):
        erasure_approval.approve(item, officer=bruno, proposal=proposal)  # still pending
    assert not item.events.filter(kind=EventKind.APPROVED).exists()


def test_an_unknown_right_in_the_setting_is_a_configuration_error(settings):
    settings.DSR_FOUR_EYES = ["erasure", "erasur"]
    with pytest.raises(ImproperlyConfigured, match="erasur"):
        four_eyes.four_eyes_rights()


@pytest.mark.slow
def test_the_portal_does_not_start_with_an_unknown_right_in_the_setting(tmp_path):
    from tests.dsr.test_production_settings import manage

    result = manage("check", DSR_VAR_DIR=str(tmp_path), DSR_FOUR_EYES="erasure,acess")
    assert result.returncode != 0
    assert "DSR_FOUR_EYES" in result.stderr
    assert manage("check", DSR_VAR_DIR=str(tmp_path), DSR_FOUR_EYES="").returncode == 0


# --- each kind of decision ------------------------------------------------------------------------


def test_an_approved_erasure_starts_the_systems_in_the_second_officers_name(officers, outbox, shop):
    olivia, bruno, *_ = officers
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    # Verified: the system is searched (the erasure's locate phase), nothing is erased.
    assert item.jobs.get(action="locate").status == JobStatus.SUCCEEDED
    assert item.jobs.get(action="erase").status == JobStatus.PENDING
    proposal = decisions.propose(
        item, officer=olivia, kind="erasure", reason="No exception beyond the tax records."
    )
    assert item.jobs.get(action="erase").status == JobStatus.PENDING  # a proposal changes nothing
    decisions.approve(proposal, officer=bruno)
    item.refresh_from_db()
    assert item.jobs.get(action="erase").status == JobStatus.SUCCEEDED
    assert item.status in (Status.IN_PROGRESS, Status.IN_REVIEW)
    approved = item.events.get(kind=EventKind.APPROVED)
    assert approved.actor == bruno
    assert approved.reason == "No exception beyond the tax records."
    assert approved.data == {"proposal": proposal.pk, "proposed_by": olivia.pk}
    assert not needs_approval(item)


def test_an_erasure_is_approved_only_after_verification(officers, outbox):
    olivia, *_ = officers
    item = submit(right="erasure", details={"scope": "all", "parts": ""})
    with pytest.raises(RequestError, match="Verify"):
        decisions.propose(item, officer=olivia, kind="erasure", reason="All clear.")


def test_an_upheld_objection_is_completed_with_a_letter_that_the_processing_stopped(
    officers, outbox, shop
):
    olivia, bruno, *_ = officers
    item = verified(outbox, right="objection", details=PARTICULAR)
    assert item.status == Status.IN_REVIEW  # located and restricted while it is weighed
    with pytest.raises(RequestError, match=r"Art\. 21\(1\)"):
        complete(item, officer=olivia)
    proposal = decisions.propose(
        item,
        officer=olivia,
        kind="objection",
        reason="Her safety outweighs our interest in the loyalty analytics.",
        payload={"upheld": True},
    )
    with pytest.raises(RequestError, match=r"Art\. 21\(1\)"):
        complete(item, officer=olivia)  # proposed is not decided
    decisions.approve(proposal, officer=bruno)
    upheld = item.events.get(kind=EventKind.OBJECTION_UPHELD)
    assert upheld.actor == bruno
    assert upheld.data["proposed_by"] == olivia.pk
    complete(item, officer=olivia)
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    letter = outbox.last_to("erika@example.org")
    assert "we have stopped processing your data for the purpose you objected to" in letter.body


def test_a_rejected_objection_sends_the_reasons_with_the_remedies(officers, outbox, shop):
    olivia, bruno, *_ = officers
    load_demo()
    item = verified(outbox, right="objection", details=PARTICULAR)
    reasons = "We must keep the contract data to defend the pending claim 3 O 123/25."
    proposal = decisions.propose(
        item, officer=olivia, kind="objection", reason=reasons, payload={"upheld": False}
    )
    decisions.approve(proposal, officer=bruno)
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    refused = item.events.get(kind=EventKind.REFUSED)
    assert refused.data["ground"] == "compelling_grounds"
    assert (refused.actor, refused.data["proposed_by"]) == (bruno, olivia.pk)
    letter = outbox.last_to("erika@example.org")
    for text in (reasons, "Compelling legitimate grounds", "LDI NRW", "Art. 78"):
        assert text in letter.body, text
    # The restriction that held the data during the assessment ends, although the request is
    # closed, and the letter said so first (Art. 18(3)).
    assert "we lift that restriction (Art. 18(3) GDPR)" in letter.body
    lift = item.jobs.get(action="lift_restriction")
    assert lift.status == JobStatus.SUCCEEDED
    assert item.events.get(kind=EventKind.RESTRICTION_LIFTED).data["after"] == (
        "objection_rejected"
    )
    with pytest.raises(RequestError):
        decisions.propose(
            item, officer=olivia, kind="objection", reason=reasons, payload={"upheld": True}
        )


def test_a_rejection_of_the_objection_is_checked_when_proposed(officers, outbox, shop):
    olivia, *_ = officers
    item = verified(outbox, right="objection", details=PARTICULAR)
    with pytest.raises(RequestError, match="supervisory authority"):
        decisions.propose(
            item, officer=olivia, kind="objection", reason="Legal claim.", payload={"upheld": False}
        )
    marketing = verified(outbox, right="objection", details={"kind": "direct_marketing"})
    with pytest.raises(RequestError, match="particular situation"):
        decisions.propose(
            marketing, officer=olivia, kind="objection", reason="x", payload={"upheld": True}
        )


# --- the case page and the status page ------------------------------------------------------------


def act(client, item, action, data):
    return post_confirmed(client, reverse("staff:case_action", args=[item.reference, action]), data)


def test_officers_propose_and_approve_on_the_case_page(officers, outbox):
    olivia, bruno, olivia_secret, bruno_secret = officers
    load_demo()
    item = verified(outbox)
    case = reverse("staff:case", args=[item.reference])
    first, second = Client(), Client()
    login_with_totp(first, olivia.email, PASSWORD, olivia_secret)
    login_with_totp(second, bruno.email, PASSWORD, bruno_secret)

    page = first.get(case).content.decode()
    assert "Propose refusal" in page
    assert ">Refuse<" not in page
    act(first, item, "refusal", {"ground": "exception", "reason": "Kept by law."})
    assert not Proposal.objects.exists()  # the provision is missing
    act(
        first,
        item,
        "refusal",
        {"ground": "manifestly_unfounded", "sub_ground": "malicious", "reason": REASONS},
    )
    proposal = Proposal.objects.get()

    page = first.get(case).content.decode()
    assert "waiting for a second officer" in page
    assert "Withdraw proposal" in page
    assert "Approve proposal" not in page
    assert REASONS in page
    response = act(first, item, "approve_proposal", {"proposal": proposal.pk})
    assert response.status_code == 302
    assert "another officer must approve it" in first.get(case).content.decode()
    item.refresh_from_db()
    assert item.status == Status.VERIFIED

    assert "decision to approve" in second.get(reverse("staff:cases")).content.decode()
    page = second.get(case).content.decode()
    assert "Approve proposal" in page
    assert "Send back" in page
    assert "olivia@example.org" in page
    act(second, item, "approve_proposal", {"proposal": proposal.pk, "reason": "Agreed."})
    item.refresh_from_db()
    assert item.status == Status.REFUSED
    assert item.events.get(kind=EventKind.REFUSED).actor == bruno


def test_one_officer_approves_an_erasure_directly_when_the_setting_allows(
    officers, outbox, shop, settings
):
    settings.DSR_FOUR_EYES = ["access"]
    olivia, _, olivia_secret, _ = officers
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    client = Client()
    login_with_totp(client, olivia.email, PASSWORD, olivia_secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Approve erasure" in page
    assert "Propose erasure" not in page
    assert "Decide objection" not in page
    act(client, item, "erasure", {"reason": "No exception applies."})
    assert item.events.get(kind=EventKind.APPROVED).actor == olivia
    assert item.jobs.filter(action="erase").exists()


def test_the_objection_decision_is_proposed_on_the_case_page(officers, outbox, shop):
    olivia, _, olivia_secret, _ = officers
    item = verified(outbox, right="objection", details=PARTICULAR)
    client = Client()
    login_with_totp(client, olivia.email, PASSWORD, olivia_secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Propose decision" in page
    assert "Decide on the objection (Art. 21(1) GDPR) first." in page
    act(client, item, "objection", {"upheld": "1", "reason": "Her safety comes first."})
    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.payload) == ("objection", {"upheld": True})
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Upheld: the processing stops" in page
    assert "Propose decision" not in page


def test_the_old_single_officer_approval_is_gone_from_the_case_page(officers, outbox):
    olivia, _, olivia_secret, _ = officers
    item = verified(outbox, right="erasure", details={"scope": "all", "parts": ""})
    client = Client()
    login_with_totp(client, olivia.email, PASSWORD, olivia_secret)
    assert act(client, item, "approve", {"reason": ""}).status_code == 404
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Propose erasure" in page
    assert not item.events.filter(kind=EventKind.APPROVED).exists()


def test_the_requester_never_sees_proposals(officers, outbox, client):
    olivia, bruno, *_ = officers
    load_demo()
    owner = UserFactory(email="erika@example.org")
    item = submit(account=owner)
    first = decisions.propose(
        item, officer=olivia, kind="refusal", reason="Internal: draft one.", payload=REFUSAL
    )
    decisions.reject(first, officer=bruno, reason="Internal: not excessive.")
    decisions.propose(
        item, officer=olivia, kind="refusal", reason="Internal: draft two.", payload=REFUSAL
    )
    client.force_login(owner)
    link = reverse("dsr:status", args=[status_token(item)])
    page = client.get(link).content.decode()
    assert item.reference in page
    for text in ("Internal:", "proposed", "Proposed", "sent back", "second officer"):
        assert text not in page, text


def test_a_rejected_objection_keeps_a_restriction_the_person_asked_for(officers, outbox, shop):
    olivia, bruno, *_ = officers
    load_demo()
    item = submit(right="objection", details=PARTICULAR)
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    restriction = verified(outbox, right="restriction", details={})  # another open request
    assert restriction.jobs.filter(action="restrict", status=JobStatus.SUCCEEDED).exists()
    proposal = decisions.propose(
        SubjectRequest.objects.get(pk=item.pk),
        officer=olivia,
        kind="objection",
        reason="We must keep the data to defend claim 3 O 123/25.",
        payload={"upheld": False},
    )
    decisions.approve(proposal, officer=bruno)
    assert not item.jobs.filter(action="lift_restriction").exists()
    assert "we lift that restriction" not in outbox.last_to("erika@example.org").body


def test_refusals_the_law_does_not_allow_are_refused(officers, outbox):
    olivia, *_ = officers
    load_demo()
    item = verified(outbox)
    with pytest.raises(RequestError, match=r"Art\. 15\(4\)"):
        decisions.propose(
            item,
            officer=olivia,
            kind="refusal",
            reason="Holds the chat partner's messages.",
            payload={"ground": "rights_of_others"},
        )
    marketing = verified(outbox, right="objection", details={"kind": "direct_marketing"})
    with pytest.raises(RequestError, match=r"Art\. 21\(3\)"):
        decisions.propose(
            marketing,
            officer=olivia,
            kind="refusal",
            reason="We want to keep mailing.",
            payload=REFUSAL,
        )
