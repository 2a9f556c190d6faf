"""Data subjects file requests in Chromium, confirm them with the e-mailed code, follow them."""

import pytest
from playwright.sync_api import expect

from dsr.models import RequestedRight, Status, SubjectRequest
from tests.fixtures.browser import screenshot
from tests.helpers import code_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def confirm_with_code(page, outbox, email):
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    page.get_by_label("Code from the e-mail").fill(code_in(outbox.last_to(email)))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#request-status")).to_have_text("Verified")


def test_an_access_request_from_the_home_page_to_the_status_page(page, outbox):
    page.goto("/")
    page.get_by_role("link", name="Make a request").first.click()
    page.get_by_role("link", name="A copy of your data").click()
    expect(page.locator("h1")).to_have_text("A copy of your data")
    screenshot(page, "request-access-form")
    page.get_by_label("E-mail address", exact=True).fill("erika@example.org")
    page.get_by_label("Full name (optional)").fill("Erika Mustermann")
    page.get_by_role("button", name="Send request").click()
    screenshot(page, "request-check-email")
    confirm_with_code(page, outbox, "erika@example.org")

    item = SubjectRequest.objects.get()
    assert item.name == "Erika Mustermann"
    expect(page.locator("h1")).to_contain_text(item.reference)
    expect(page.locator("#due-date")).to_be_visible()
    screenshot(page, "request-status")


def test_an_erasure_request_in_german_with_only_some_data(page, outbox):
    page.goto("/")
    page.get_by_label("Language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto("/request/erasure/")
    page.get_by_label("Nur bestimmte Daten").check()
    page.get_by_role("button", name="Anfrage senden").click()
    # Both mistakes are explained next to their fields, in German.
    expect(page.locator("#field-parts .invalid-feedback")).to_contain_text("welche Daten")
    expect(page.locator("#field-email .invalid-feedback")).to_contain_text("E-Mail-Adresse")
    assert not SubjectRequest.objects.exists()

    page.get_by_label("Welche Daten?").fill("Meine Chatverläufe")
    page.get_by_label("E-Mail-Adresse", exact=True).fill("erika@example.org")
    page.get_by_role("button", name="Anfrage senden").click()
    expect(page.locator("h1")).to_have_text("Prüfen Sie Ihre E-Mails")
    message = outbox.last_to("erika@example.org")
    assert "Wir haben Ihre Anfrage" in message.subject
    link = next(url for url in outbox.links(message) if "/r/verify/" in url)
    page.goto(path_of(link))
    page.get_by_role("button", name="Ja, ich habe diese Anfrage gestellt").click()
    expect(page.locator("#request-status")).to_have_text("Bestätigt")
    right = RequestedRight.objects.get()
    assert right.details == {"scope": "parts", "parts": "Meine Chatverläufe"}


def test_an_objection_to_direct_marketing_needs_no_reasons(page, outbox):
    page.goto("/")
    page.get_by_role("link", name="Object").click()
    expect(page.locator("h1")).to_have_text("Your right to object")
    # Direct marketing is the default, and no reasons are asked for it.
    expect(
        page.get_by_label("The use of my data for direct marketing (we stop, no questions)")
    ).to_be_checked()
    page.get_by_label("E-mail address", exact=True).fill("erika@example.org")
    page.get_by_role("button", name="Send request").click()
    confirm_with_code(page, outbox, "erika@example.org")
    right = RequestedRight.objects.get()
    assert right.details["kind"] == "direct_marketing"
    assert SubjectRequest.objects.get().status == Status.VERIFIED

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw the request").click()
    expect(page.locator("#request-status")).to_have_text("Withdrawn")
