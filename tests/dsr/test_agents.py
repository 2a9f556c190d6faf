"""An agent's request is verified only once the agent's authority is proven: an officer
accepted the evidence with a reason, or the person confirmed the agent (issue 15, item 3)."""

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from dsr.core.errors import RequestError
from dsr.core.files import Upload
from dsr.demo import load_demo
from dsr.models import EventKind, FileKind, RequestFile, Status
from dsr.services import agent_evidence, questions, verification
from dsr.services.intake import AgentDetails, Intake, SubjectDetails, submit_request
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\nVOLLMACHT"
AGENT = AgentDetails(name="Anna Anwalt", email="anna@kanzlei.example", authority="other")


def agents_request(outbox, *, language="en", evidence=True):
    """Filed by an agent with evidence; the agent has confirmed their address."""
    intake = Intake(
        rights={"access": {}},
        subject=SubjectDetails(email="erika@example.org", name="Erika Mustermann"),
        language=language,
        agent=AGENT,
        evidence=Upload(content=PDF) if evidence else None,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        item = submit_request(intake=intake)
    verification.verify_with_code(item, code_in(outbox.last_to(AGENT.email)))
    item.refresh_from_db()
    return item


def evidence_of(item) -> RequestFile:
    return item.files.filter(kind=FileKind.AGENT_EVIDENCE, deleted_at__isnull=True).latest("pk")


def test_an_agents_request_without_evidence_or_confirmation_cannot_be_verified(outbox, client):
    officer, secret = make_officer()
    item = agents_request(outbox, evidence=False)
    assert item.status == Status.AWAITING_VERIFICATION
    with pytest.raises(RequestError, match="Neither has happened yet"):
        verification.verify_manually(item, officer=officer, reason="looks fine")

    # Nor by way of an identity document: that shows who the agent is, not their authority.
    questions.request_information(
        item,
        officer=officer,
        purpose="identity",
        question="Your ID?",
        id_document=True,
        reason="Sensitive data.",
    )
    questions.answer_information(item, body="Here.", upload=Upload(content=PDF))
    document = item.files.get(kind=FileKind.ID_DOCUMENT)
    assert verification.decide_id_document(document, officer=officer, accepted=True) is False
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION
    assert item.verified_at is None

    # The officer is told what is missing, on the page and when trying anyway.
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert 'id="verify-needs-authority"' in page
    assert "Not proven yet" in page
    response = client.post(
        reverse("staff:case_action", args=[item.reference, "verify"]),
        {"reason": "looks fine"},
        follow=True,
    )
    assert "Neither has happened yet" in response.content.decode()
    item.refresh_from_db()
    assert item.verified_at is None


def test_accepted_evidence_with_a_reason_verifies_the_agents_request(outbox, client):
    officer, secret = make_officer()
    item = agents_request(outbox)
    evidence = evidence_of(item)
    with pytest.raises(RequestError, match="reason"):
        agent_evidence.accept_evidence(evidence, officer=officer, reason="  ")

    login_with_totp(client, officer.email, PASSWORD, secret)
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "evidence"]),
        {"file": evidence.pk, "accepted": "1", "reason": "Notarised power of attorney, 2026."},
    )
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    accepted = item.events.get(kind=EventKind.EVIDENCE_ACCEPTED)
    assert accepted.actor == officer
    assert accepted.reason == "Notarised power of attorney, 2026."
    assert accepted.data == {"file": evidence.pk}
    evidence.refresh_from_db()
    assert evidence.deleted_at is None  # kept as the record of the authority (LEGAL.md §3)
    with pytest.raises(RequestError, match="already been dealt with"):
        agent_evidence.accept_evidence(evidence, officer=officer, reason="Again.")
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Notarised power of attorney, 2026." in page


def test_rejected_evidence_is_explained_to_the_agent_in_german_and_new_evidence_can_follow(
    outbox,
):
    load_demo()
    officer, _ = make_officer()
    item = agents_request(outbox, language="de")
    evidence = evidence_of(item)
    agent_evidence.reject_evidence(
        evidence, officer=officer, reason="Die Vollmacht ist nicht unterschrieben."
    )
    item.refresh_from_db()
    assert item.status == Status.AWAITING_VERIFICATION
    assert item.paused  # a question about the agent's authority, asked at once
    evidence.refresh_from_db()
    assert evidence.deleted_at is not None
    letter = outbox.last_to(AGENT.email)
    assert "anderen Nachweis Ihrer Vertretungsbefugnis" in letter.subject
    body = " ".join(letter.body.split())
    assert "Die Vollmacht ist nicht unterschrieben." in body
    assert "Sie können uns auf der Seite Ihrer Anfrage einen neuen Nachweis senden" in body
    assert letter.attachments
    assert letter.attachments[0][0].endswith("evidence_rejected.pdf")
    with pytest.raises(RequestError, match="Neither has happened yet"):
        verification.verify_manually(item, officer=officer, reason="Telefonisch geklärt.")

    # The agent sends new evidence in answer: it waits for the officer, the clock runs again.
    questions.answer_information(item, body="Anbei unterschrieben.", upload=Upload(content=PDF))
    item.refresh_from_db()
    assert not item.paused
    renewed = evidence_of(item)
    assert renewed.pk != evidence.pk
    assert agent_evidence.undecided(item) == {renewed.pk}
    assert item.events.filter(kind=EventKind.EVIDENCE_UPLOADED, data__file=renewed.pk).exists()
    assert agent_evidence.accept_evidence(renewed, officer=officer, reason="Jetzt unterschrieben.")
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_the_persons_confirmation_is_the_proof_of_authority(outbox, client):
    item = agents_request(outbox, evidence=False)
    ask = outbox.last_to("erika@example.org")
    link = next(u for u in outbox.links(ask) if "/r/confirm/" in u)
    client.post(path_of(link), {"decision": "confirm"})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert item.events.filter(kind=EventKind.SUBJECT_CONFIRMED).exists()
    assert verification.authority_proven(item)


def test_after_the_person_confirms_the_case_page_says_to_review_the_evidence(outbox, client):
    officer, secret = make_officer()
    item = agents_request(outbox)
    login_with_totp(client, officer.email, PASSWORD, secret)
    case = reverse("staff:case", args=[item.reference])
    before = client.get(case).content.decode()
    assert 'id="agent-next-step"' in before
    assert "or wait for the person the agent acts for to confirm the agent" in before

    ask = outbox.last_to("erika@example.org")
    client.__class__().post(
        path_of(next(u for u in outbox.links(ask) if "/r/confirm/" in u)), {"decision": "confirm"}
    )
    after = client.get(case).content.decode()
    assert "The person the agent acts for has confirmed the agent." in after
    assert "Review the evidence of authority under Documents" in after

    agent_evidence.accept_evidence(evidence_of(item), officer=officer, reason="Vollmacht ok.")
    assert 'id="agent-next-step"' not in client.get(case).content.decode()  # nothing left


def test_e_mails_to_an_agent_speak_of_the_person_they_act_for(outbox):
    item = agents_request(outbox, evidence=False)
    first = outbox.to(AGENT.email)[0]
    assert "you, the agent, made for the person you act for" in first.body
    ask = outbox.last_to("erika@example.org")
    link = next(u for u in outbox.links(ask) if "/r/confirm/" in u)
    Client().post(path_of(link), {"decision": "confirm"})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert (
        "that you, the agent, made for the person you act for" in outbox.last_to(AGENT.email).body
    )


def test_the_agent_form_says_whose_data_the_request_is_about(client):
    page = client.get(reverse("dsr:intake", args=["access"])).content.decode()
    assert "Whose data the request is about" in page
    assert 'data-agent="The person you act for"' in page
    assert "You, the agent" in page
    assert "The address we know the person whose data this is by" in page
    assert "Your authority to act for the person you act for" in page
    # The script words the subject's fields for an agent (data-*), without script they stay
    # neutral; a form sent back with "agent" chosen is worded for the agent at once.
    assert 'data-label-agent="E-mail address of the person you act for"' in page
    back = client.post(
        reverse("dsr:intake", args=["access"]), {"requester": "agent", "scope": ""}
    ).content.decode()
    assert 'for="id_email">E-mail address of the person you act for</label>' in back
    assert "Full name of the person you act for (optional)</label>" in back
    assert "Your name (you, the agent)" in back


def test_a_request_the_person_makes_needs_no_authority(outbox):
    officer, _ = make_officer()
    item = submit()
    assert verification.authority_proven(item)
    verification.verify_manually(item, officer=officer, reason="Called back.")
    item.refresh_from_db()
    assert item.status == Status.VERIFIED


def test_a_confirmation_after_rejected_evidence_verifies_and_restarts_the_clock(outbox, client):
    officer, _ = make_officer()
    item = agents_request(outbox)
    ask = outbox.last_to("erika@example.org")  # the person is asked to confirm the agent
    agent_evidence.reject_evidence(
        evidence_of(item), officer=officer, reason="The signature is missing."
    )
    item.refresh_from_db()
    assert item.paused
    link = next(u for u in outbox.links(ask) if "/r/confirm/" in u)
    client.post(path_of(link), {"decision": "confirm"})
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    assert not item.paused  # the question about the authority needs no answer any more
    assert not item.messages.filter(awaits_answer=True, answered_at__isnull=True).exists()


def test_every_other_letter_to_an_agent_says_whom_you_and_your_data_mean(outbox):
    officer, _ = make_officer()
    item = agents_request(outbox, evidence=False)
    ask = outbox.last_to("erika@example.org")
    assert "'your data'" not in ask.body  # to the person acted for: no such note
    questions.request_information(
        item, officer=officer, purpose="identity", question="Bitte die Vollmacht.", reason="-"
    )
    asked = outbox.last_to(AGENT.email)
    assert "You receive this e-mail as the agent" in asked.body
    assert "it means the person you act for and their data" in asked.body
