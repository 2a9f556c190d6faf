"""Two officers in Chromium: the second is e-mailed when the first proposes a decision, finds it
on the overview and approves it, and the first is told; a posted request's letter is downloaded
as a PDF with the address to post it to."""

import subprocess

import pytest
from django.test import Client, TestCase
from playwright.sync_api import expect

from dsr.demo import load_demo
from dsr.models import EventKind, SentLetter, SubjectRequest
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.fixtures.browser import screenshot
from tests.helpers import Outbox, code_in, login_with_totp, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer_page(browser, live_server):
    """A browser context per officer, logged in with password and TOTP (through allauth)."""
    contexts = []

    def open_as(email):
        officer, secret = make_officer(email=email)
        client = Client()
        login_with_totp(client, email, PASSWORD, secret)
        context = browser.new_context(
            locale="en-GB", base_url=live_server.url, accept_downloads=True
        )
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        return officer, page

    yield open_as
    for context in contexts:
        context.close()


def test_the_second_officer_is_e_mailed_to_approve_and_the_proposer_is_told(officer_page, outbox):
    load_demo()
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    olivia, first = officer_page("olivia@example.org")
    bruno, second = officer_page("bruno@example.org")

    first.goto(f"/staff/requests/{item.reference}/")
    first.get_by_text("Refusal or partial refusal").click()
    refusal = first.locator("form").filter(has=first.get_by_role("button", name="Propose refusal"))
    refusal.get_by_label("Ground").select_option("manifestly_unfounded")
    refusal.get_by_label("What makes it manifestly unfounded or excessive").select_option(
        "malicious"
    )
    refusal.get_by_label("Reasons (sent to the requester)").fill("You said it is to keep us busy.")
    refusal.get_by_role("button", name="Propose refusal").click()
    expect(first.get_by_text("waiting for a second officer").first).to_be_visible()

    # Bruno is asked by e-mail (the proposer is not), with the reference only in the subject.
    asked = outbox.last_to("bruno@example.org")
    assert asked.subject == f"{item.reference}: a decision waits for your approval"
    assert not outbox.to("olivia@example.org")
    (link,) = [url for url in Outbox.links(asked) if f"/staff/requests/{item.reference}/" in url]

    # His overview lists it as waiting for his approval; hers does not.
    second.goto("/staff/")
    waiting = second.locator("#todo-approval")
    expect(waiting.locator("[data-count]")).to_have_text("1")
    expect(waiting.get_by_role("link", name=item.reference)).to_be_visible()
    screenshot(second, "officer-todo")
    first.goto("/staff/")
    expect(first.locator("#todo-approval [data-count]")).to_have_text("0")

    second.goto(path_of(link))
    second.get_by_role("button", name="Approve proposal").click()
    # The approval sends the refusal: its letter is shown first, and confirmed.
    expect(second.locator(".preview-letter")).to_be_visible()
    second.get_by_role("button", name="Confirm and send").click()
    expect(second.locator("#case-status")).to_have_text("Refused")
    refused = SubjectRequest.objects.get(pk=item.pk).events.get(kind=EventKind.REFUSED)
    assert (refused.actor, refused.data["proposed_by"]) == (bruno, olivia.pk)

    told = outbox.last_to("olivia@example.org")
    assert told.subject == f"{item.reference}: your proposal was approved"
    second.goto("/staff/")
    expect(second.locator("#todo-approval [data-count]")).to_have_text("0")


def test_an_officer_downloads_a_posted_letter_with_the_address_block(officer_page, tmp_path):
    load_demo()
    olivia, page = officer_page("olivia@example.org")
    item = submit(
        email="",
        name="Erika Mustermann",
        postal_address="Hauptstraße 1\n10115 Berlin",
        channel="post",
        language="de",
        entered_by=olivia,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        verification.verify_manually(
            item, officer=olivia, reason="Signed letter matches the customer file."
        )
    letter = SentLetter.objects.get(request=item, template="verified")

    page.goto(f"/staff/requests/{item.reference}/")
    entry = page.locator(f"#letter-{letter.pk}")
    expect(entry.get_by_text("to be posted")).to_be_visible()
    entry.locator("summary").click()
    with page.expect_download() as download:
        entry.get_by_role("link", name="Download the PDF to post").click()
    assert download.value.suggested_filename == f"{item.reference}-verified.pdf"
    saved = tmp_path / "letter.pdf"
    download.value.save_as(saved)
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved), "-"], capture_output=True, check=True
    ).stdout.decode()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # The address block: the controller's return line, then the person's name and address.
    block = lines.index("Erika Mustermann")
    assert lines[block + 1 : block + 3] == ["Hauptstraße 1", "10115 Berlin"]
    assert "T-Systems International GmbH" in lines[block - 1]
    assert f"Anfrage {item.reference} bestätigt" in text  # the letter, in the request's language
