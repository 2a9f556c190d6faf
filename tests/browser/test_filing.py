"""Filing in Chromium: several rights in one submission, and a limit that keeps the form."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from dsr.models import RequestedRight, SubjectRequest
from dsr.rights import RIGHTS, Right
from tests.fixtures.browser import screenshot
from tests.helpers import code_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label(right: Right, language: str) -> str:
    with translation.override(language):
        return str(RIGHTS[right].right.label)


def test_a_person_files_access_and_erasure_in_one_submission_in_german(page, outbox, settings):
    settings.DSR_INTAKE_FORM_CHECK = True  # the stamp goes through a real browser
    settings.DSR_INTAKE_MIN_SECONDS = 0
    page.goto("/")
    page.get_by_label("Language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto("/request/")
    page.get_by_label(label(Right.ACCESS, "de"), exact=True).check()
    page.get_by_label(label(Right.ERASURE, "de"), exact=True).check()
    screenshot(page, "filing-start-de")
    page.get_by_role("button", name="Weiter mit den angekreuzten Anfragen").click()

    expect(page.locator("h1")).to_have_text("Ihre Anfragen")
    expect(page.locator("#right-access > legend")).to_have_text(label(Right.ACCESS, "de"))
    expect(page.locator("#right-erasure > legend")).to_have_text(label(Right.ERASURE, "de"))
    page.locator("#right-access textarea").fill("Vor allem meine Bestellungen")
    page.get_by_label("Nur bestimmte Daten").check()
    page.get_by_role("button", name="Anfrage senden").click()
    # The erasure's own mistake is explained in its own fieldset; the rest stays typed.
    expect(page.locator("#field-erasure-parts .invalid-feedback")).to_contain_text("welche Daten")
    expect(page.locator("#right-access textarea")).to_have_value("Vor allem meine Bestellungen")
    screenshot(page, "filing-several-de")
    page.get_by_label("Welche Daten?").fill("Meine Chatverläufe")
    page.get_by_label("E-Mail-Adresse", exact=True).fill("erika@example.org")
    page.get_by_role("button", name="Anfrage senden").click()

    expect(page.locator("h1")).to_have_text("Prüfen Sie Ihre E-Mails")
    assert len(outbox.to("erika@example.org")) == 1  # one confirmation for both rights
    message = outbox.last_to("erika@example.org")
    assert "Wir haben Ihre Anfrage" in message.subject
    page.get_by_label("Code aus der E-Mail").fill(code_in(message))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.locator("#request-status")).to_have_text("Bestätigt")

    item = SubjectRequest.objects.get()
    expect(page.locator("h1")).to_contain_text(item.reference)
    expect(page.locator("#asked")).to_contain_text("Meine Chatverläufe")
    screenshot(page, "filing-status-de")
    assert {r.right: r.details for r in RequestedRight.objects.filter(request=item)} == {
        "access": {"scope": "Vor allem meine Bestellungen"},
        "erasure": {"scope": "parts", "parts": "Meine Chatverläufe"},
    }


def test_the_rate_limit_page_keeps_what_was_typed_and_says_when(page, outbox, settings):
    settings.DSR_RATE_INTAKE_PER_EMAIL = "1/86400"
    SubjectRequest.objects.all().delete()
    for attempt in ("Meine Rechnungen", "Meine Rechnungen und Mahnungen"):
        page.goto("/request/access/")
        page.get_by_label("E-mail address", exact=True).fill("erika@example.org")
        page.get_by_label("Anything in particular? (optional)").fill(attempt)
        page.get_by_role("button", name="Send request").click()
        if attempt == "Meine Rechnungen":
            expect(page.locator("h1")).to_have_text("Check your e-mail")

    expect(page.locator("#limited")).to_contain_text("Too many attempts")
    screenshot(page, "filing-limited")
    expect(page.locator("#limited")).to_contain_text("you can send it again from")
    expect(page.get_by_label("Anything in particular? (optional)")).to_have_value(
        "Meine Rechnungen und Mahnungen"
    )
    expect(page.get_by_label("E-mail address", exact=True)).to_have_value("erika@example.org")
    assert SubjectRequest.objects.count() == 1


def test_the_agent_form_words_the_fields_for_the_person_you_act_for(page):
    page.goto("/request/access/")
    expect(page.get_by_label("E-mail address", exact=True)).to_be_visible()
    page.get_by_label("I am asking on behalf of someone else").check()
    expect(page.get_by_label("E-mail address of the person you act for")).to_be_visible()
    expect(page.locator("#id_email_helptext")).to_contain_text("our answer goes to you, the agent")
    expect(page.get_by_label("Full name of the person you act for (optional)")).to_be_visible()
    expect(page.locator("#agent-fields h3")).to_have_text("You, the agent")
    expect(page.get_by_label("Your name (you, the agent)")).to_be_visible()
    page.get_by_label("I am asking about my own data").check()
    expect(page.get_by_label("E-mail address", exact=True)).to_be_visible()
