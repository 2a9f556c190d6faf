"""Two officers in Chromium: one proposes a refusal, the other approves it."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from dsr.demo import load_demo
from dsr.models import EventKind, SubjectRequest
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.fixtures.browser import screenshot
from tests.helpers import code_in, login_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer_page(browser, live_server):
    """A browser context per officer, logged in with password and TOTP (through allauth)."""
    contexts = []

    def open_as(email):
        officer, secret = make_officer(email=email)
        client = Client()
        login_with_totp(client, email, PASSWORD, secret)
        context = browser.new_context(locale="en-GB", base_url=live_server.url)
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        return officer, page

    yield open_as
    for context in contexts:
        context.close()


def test_a_refusal_is_proposed_by_one_officer_and_sent_by_another(officer_page, outbox):
    load_demo()
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    olivia, first = officer_page("olivia@example.org")
    bruno, second = officer_page("bruno@example.org")
    case = f"/staff/requests/{item.reference}/"

    first.goto(case)
    first.get_by_text("Refusal or partial refusal").click()
    # The fee form (the alternative to a refusal) asks some of the same things: keep to this one.
    refusal = first.locator("form").filter(has=first.get_by_role("button", name="Propose refusal"))
    refusal.get_by_label("Ground").select_option("manifestly_unfounded")
    expect(refusal.get_by_label("Provision that makes the exception")).to_be_hidden()
    refusal.get_by_label("What makes it manifestly unfounded or excessive").select_option(
        "malicious"
    )
    refusal.get_by_label("Reasons (sent to the requester)").fill("You said it is to keep us busy.")
    refusal.get_by_role("button", name="Propose refusal").click()
    expect(first.get_by_text("waiting for a second officer").first).to_be_visible()
    expect(first.get_by_role("button", name="Approve proposal")).to_have_count(0)
    screenshot(first, "four-eyes-proposed")

    second.goto(case)
    second.get_by_role("button", name="Approve proposal").click()
    # The approval sends the refusal: its letter is shown first, and confirmed.
    expect(second.locator(".preview-letter")).to_contain_text("You said it is to keep us busy.")
    second.get_by_role("button", name="Confirm and send").click()
    expect(second.locator("#case-status")).to_have_text("Refused")
    refused = SubjectRequest.objects.get(pk=item.pk).events.get(kind=EventKind.REFUSED)
    assert refused.actor == bruno
    assert refused.data["proposed_by"] == olivia.pk
