"""Art. 22 GDPR: a person asks for a human review of an automated decision, expresses a view
and contests it; an officer records the review; the letter states its outcome (issue 15, 4)."""

import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from dsr.core.errors import RequestError
from dsr.demo import load_demo
from dsr.models import EventKind, ProcessingActivity, RequestOutcome, Status, SubjectRequest
from dsr.rights import Right
from dsr.selectors.stats import Period, report
from dsr.services import decisions, verification
from dsr.services.completion import complete
from dsr.services.intake import Intake, SubjectDetails, submit_request
from tests.dsr.test_letter_language import english_in
from tests.factories import PASSWORD, make_officer, second_officer, submit
from tests.helpers import code_in, login_with_totp, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "erika@example.org"
ACTIVITY = "webshop-fraud-prevention"
FORM = {
    "decision": "Meine Bestellung vom 3. Mai wurde abgelehnt.",
    "decision_date": "2026-05-03",
    "wants": ["human_review", "express_view", "contest"],
    "view": "Ich bestelle seit Jahren bei Ihnen und habe immer bezahlt.",
}
REASONS = "Die Bestellung wurde geprüft; Zahlungshistorie einwandfrei. Sie wird ausgeführt."
REVIEW = {
    "activity": ACTIVITY,
    "reviewer_role": "Leiterin Risikomanagement",
    "view_considered": True,
    "outcome": "withdrawn",
}


def file_in(client, language: str = "de", **fields):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client.post(
        reverse("dsr:intake", args=[Right.AUTOMATED_DECISION.value]),
        {"requester": "myself", "email": EMAIL, **FORM, **fields},
    )


def filed_and_verified(client, outbox, language: str = "de") -> SubjectRequest:
    response = file_in(client, language)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(reverse("dsr:sent"), {"code": code_in(outbox.last_to(EMAIL))})
    item = SubjectRequest.objects.get()
    assert item.language == language
    translation.activate("en")  # the officer's messages below, in English
    return item


def test_an_art22_request_filed_in_german_reaches_its_letter_in_german(client, outbox):
    load_demo()  # the demo register decides automatically in its webshop fraud prevention
    officer, _ = make_officer()
    item = filed_and_verified(client, outbox)
    assert item.requested_rights.get().details == FORM
    # Nothing for the systems to do: the request goes straight to the officer's review.
    assert item.status == Status.IN_REVIEW
    assert not item.jobs.exists()

    # Under four eyes (the default): one officer proposes the review, another approves it.
    proposal = decisions.propose(
        item, officer=officer, kind="decision_review", reason=REASONS, payload=REVIEW
    )
    with pytest.raises(RequestError):
        decisions.approve(proposal, officer=officer)  # never the proposer
    assert not item.events.filter(kind=EventKind.DECISION_REVIEWED).exists()
    decisions.approve(proposal, officer=second_officer())
    review = item.events.get(kind=EventKind.DECISION_REVIEWED)
    assert review.data["outcome"] == "withdrawn"
    assert review.data["proposed_by"] == officer.pk

    complete(item, officer=second_officer())
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    letter = outbox.last_to(EMAIL)
    body = letter.body
    assert FORM["decision"] in body
    assert "Leiterin Risikomanagement" in body
    assert "nicht automatisiert" in body
    assert "Ihr dargelegter Standpunkt wurde bei der Überprüfung berücksichtigt." in body
    assert "Die Entscheidung wird aufgehoben und gilt für Sie nicht mehr." in body
    assert REASONS in body
    # Art. 15(1)(h): the logic and the consequences of the activity, in German.
    activity = ProcessingActivity.objects.get(key=ACTIVITY)
    assert activity.text("automated_logic", "de") in body
    assert activity.text("automated_consequences", "de") in body
    assert "Betrugsprävention im Webshop" in body
    # Withdrawn: nothing stands against the person, so no refusal's remedies are owed.
    assert "Beschwerde" not in body
    assert english_in(body, "de") == []
    ((_name, pdf, _),) = letter.attachments
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Betrugsprävention im Webshop" in " ".join(text.split())

    outcome = RequestOutcome.objects.get(request_id=item.pk)
    assert outcome.rights == [Right.AUTOMATED_DECISION]
    assert outcome.review_outcome == "withdrawn"
    reviews = {row.key: row.count for row in report(Period.current_year()).reviews}
    assert reviews == {"upheld": 0, "changed": 0, "withdrawn": 1}


def test_an_upheld_decision_comes_with_the_complaint_and_the_judicial_remedy(
    client, outbox, settings
):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, _ = make_officer()
    item = filed_and_verified(client, outbox, language="nl")
    decisions.decide(
        item,
        officer=officer,
        kind="decision_review",
        reason="De risicoscore was terecht; de bestelling blijft geweigerd.",
        payload={**REVIEW, "outcome": "upheld"},
    )
    complete(item, officer=officer)
    body = outbox.last_to(EMAIL).body
    assert "het besluit wordt gehandhaafd en blijft in stand" in body
    assert "klacht" in body  # Art. 77 and the supervisory authority
    assert "(art. 78 en 79 AVG)" in " ".join(body.split())
    assert english_in(body, "nl") == []


def test_it_cannot_complete_before_the_review_is_recorded(client, outbox, settings):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, secret = make_officer()
    item = filed_and_verified(client, outbox)
    assert item.status == Status.IN_REVIEW
    with pytest.raises(RequestError, match=r"Art\. 22\(3\)"):
        complete(item, officer=officer)

    # Nor through the case page, and a proposal still waiting is not a recorded review.
    login_with_totp(client, officer.email, PASSWORD, secret)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    decisions.propose(
        item, officer=second_officer(), kind="decision_review", reason=REASONS, payload=REVIEW
    )
    response = client.post(
        reverse("staff:case_action", args=[item.reference, "complete"]), follow=True
    )
    assert "Record the review of the automated decision" in response.content.decode()
    item.refresh_from_db()
    assert item.status == Status.IN_REVIEW
    assert not item.letters.filter(template="completed").exists()


def test_the_review_needs_the_view_considered_and_an_activity_that_decides(
    client, outbox, settings
):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, _ = make_officer()
    item = filed_and_verified(client, outbox)
    for payload, message in (
        ({**REVIEW, "view_considered": False}, "point of view must be considered"),
        ({**REVIEW, "activity": "contract-data"}, "Choose the activity"),
        ({**REVIEW, "outcome": "maybe"}, "upheld, changed or withdrawn"),
        ({**REVIEW, "reviewer_role": "  "}, "Say who reviewed"),
    ):
        with pytest.raises(RequestError, match=message):
            decisions.decide(
                item, officer=officer, kind="decision_review", reason=REASONS, payload=payload
            )
    with pytest.raises(RequestError, match="reasons"):
        decisions.decide(item, officer=officer, kind="decision_review", reason=" ", payload=REVIEW)
    assert not item.events.filter(kind=EventKind.DECISION_REVIEWED).exists()


def test_the_case_page_shows_the_tasks_and_the_activities_that_decide(client, outbox, settings):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, secret = make_officer()
    item = filed_and_verified(client, outbox)
    login_with_totp(client, officer.email, PASSWORD, secret)
    url = reverse("staff:case", args=[item.reference])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(url).content.decode()
    assert "Automated decision: tasks (Art. 22(3) GDPR)" in page
    assert "Fraud prevention in the webshop" in page
    assert "Have the decision reviewed by a person with the authority to change it" in page
    assert FORM["view"] in page  # what the person said, for the reviewer to consider
    assert "I contest the decision" in page
    action = reverse("staff:case_action", args=[item.reference, "decision_review"])
    assert f'action="{action}"' in page

    response = post_confirmed(
        client,
        action,
        {
            "activity": ACTIVITY,
            "reviewer_role": "Head of risk management",
            "view_considered": "on",
            "outcome": "changed",
            "reason": "Order accepted with prepayment instead of being declined.",
        },
        follow=True,
    )
    assert "The review of the automated decision is on record." in response.content.decode()
    page = client.get(url).content.decode()
    assert page.count("text-bg-success") >= 3  # the three tasks are done
    assert f'action="{action}"' not in page  # nothing left to review
    # The queue filters by the new right; the statistics count the review by its outcome.
    queue = reverse("staff:cases")
    assert item.reference in client.get(f"{queue}?right=automated_decision").content.decode()
    assert item.reference not in client.get(f"{queue}?right=objection").content.decode()
    post_confirmed(client, reverse("staff:case_action", args=[item.reference, "complete"]))
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    stats = client.get(reverse("staff:stats")).content.decode()
    assert "Reviews of automated decisions (Art. 22 GDPR)" in stats
    csv = client.get(reverse("staff:stats_csv")).content.decode()
    assert "reviews,changed,Changed: a different decision replaces it,,requests,1" in csv


def test_the_form_does_not_offer_it_without_an_automated_activity(client, outbox):
    load_demo()
    ProcessingActivity.objects.filter(automated_decision=True).update(automated_decision=False)
    intake = reverse("dsr:intake", args=[Right.AUTOMATED_DECISION.value])
    for page in (reverse("dsr:start"), reverse("home")):
        assert intake not in client.get(page).content.decode()
    assert client.get(intake).status_code == 404
    assert file_in(client, "en").status_code == 404
    with pytest.raises(RequestError, match="no decisions about you by automated means"):
        submit_request(
            intake=Intake(
                rights={Right.AUTOMATED_DECISION: FORM},
                subject=SubjectDetails(email=EMAIL),
                language="en",
            )
        )
    assert not SubjectRequest.objects.exists()

    # Once the register names such an activity, the form is offered.
    ProcessingActivity.objects.filter(key=ACTIVITY).update(automated_decision=True)
    assert intake in client.get(reverse("dsr:start")).content.decode()
    assert client.get(intake).status_code == 200


def test_the_form_asks_for_the_view_when_the_person_contests(client):
    load_demo()
    response = file_in(client, "de", view="", wants=["contest"])
    assert response.status_code == 200
    assert "Bitte" in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_two_reviews_of_the_same_person_are_not_linked_as_one(client, outbox, settings):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, _ = make_officer()
    first = submit(right=Right.AUTOMATED_DECISION, details=FORM, email=EMAIL)
    first.refresh_from_db()
    verification.verify_manually(first, officer=officer, reason="Kundenkonto bestätigt.")
    second = submit(
        right=Right.AUTOMATED_DECISION,
        details={**FORM, "decision": "Eine andere Bestellung."},
        email=EMAIL,
    )
    second.refresh_from_db()
    assert second.duplicate_of is None


def test_a_posted_art22_letter_entered_by_staff_is_reviewed_and_answered_in_dutch(outbox, settings):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, _ = make_officer()
    letter = "Uw systeem weigerde mijn bestelling. Ik wil dat een mens ernaar kijkt."
    item = submit(
        right=Right.AUTOMATED_DECISION,
        details={"as_received": letter},
        email=EMAIL,
        language="nl",
        channel="post",
        entered_by=officer,
    )
    verification.verify_manually(item, officer=officer, reason="Handtekening klopt.")
    item.refresh_from_db()
    assert item.status == Status.IN_REVIEW
    decisions.decide(
        item,
        officer=officer,
        kind="decision_review",
        reason="De bestelling is alsnog aanvaard.",
        payload={**REVIEW, "outcome": "changed", "reviewer_role": "Hoofd risicobeheer"},
    )
    complete(item, officer=officer)
    body = outbox.last_to(EMAIL).body
    assert letter not in body  # the person's letter is not quoted back at them
    assert "Hoofd risicobeheer" in body
    assert "Het standpunt dat u kenbaar hebt gemaakt, is bij de herbeoordeling meegewogen." in body
    assert "het besluit wordt gewijzigd" in body
    assert "(art. 78 en 79 AVG)" in " ".join(body.split())  # a changed decision still applies
    assert english_in(body, "nl") == []
