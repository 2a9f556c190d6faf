"""The README's five-minute tour, step by step, in Chromium, on the demo `make run` loads.

Each step matches a numbered step of the README ("A five-minute tour"); the screenshots it
takes are the ones the README shows (docs/screenshots/).
"""

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dsr.demo import DEMO_PASSWORD, load_full_demo
from dsr.demo_systems import DEMO_SUBJECT
from dsr.models import OutboxMessage, Status, SubjectRequest
from tests.fixtures.browser import screenshot
from tests.helpers import fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def demo(settings, tmp_path):
    """What `make run` loads, with e-mail in the outbox as there (not the test's locmem)."""
    from connectors import registry

    settings.VAR_DIR = tmp_path
    settings.DSR_CONNECTORS_FILE = str(tmp_path / "demo" / "connectors.yaml")
    settings.EMAIL_BACKEND = "dsr.core.outbox.OutboxEmailBackend"
    settings.DSR_OUTBOX_PRINT = False
    registry.reset()
    logins = {login.email: login for login in load_full_demo()}
    yield logins
    registry.reset()


def shot(page, name: str) -> None:
    """A screenshot for the README (docs/screenshots/) and the test artifacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot(page, name), SCREENSHOTS / f"{name}.png")


def log_in(page, login) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_label("Code").fill(fresh_totp_code(login.totp_secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/staff/")


def test_the_five_minute_tour(browser, live_server, demo):
    subject = browser.new_context(locale="en-GB", base_url=live_server.url, accept_downloads=True)
    officer = browser.new_context(locale="en-GB", base_url=live_server.url)
    me, staff = subject.new_page(), officer.new_page()
    for page in (me, staff):
        page.set_default_timeout(20_000)

    # 1. File a request as the demo data subject.
    me.goto("/")
    shot(me, "tour-1-home")
    me.get_by_role("link", name="Make a request").first.click()
    me.get_by_role("link", name="A copy of your data").click()
    me.get_by_label("E-mail address", exact=True).fill(DEMO_SUBJECT)
    me.get_by_label("Full name (optional)").fill("Erika Mustermann")
    me.get_by_role("button", name="Send request").click()
    expect(me.locator("h1")).to_have_text("Check your e-mail")

    # 2. Read the confirmation e-mail in the outbox (as the officer) and confirm with its code.
    log_in(staff, demo["officer@demo.example"])
    staff.get_by_role("link", name="Outbox", exact=True).click()
    staff.get_by_role("link", name=re.compile("We have received your request")).first.click()
    body = staff.locator("pre").inner_text()
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    shot(staff, "tour-2-outbox")
    me.get_by_label("Code from the e-mail").fill(code.group(1))
    me.get_by_role("button", name="Confirm").click()
    expect(me.locator("#request-status")).to_be_visible()
    shot(me, "tour-2-status")
    item = SubjectRequest.objects.get(email=DEMO_SUBJECT)

    # 3. The officer's overview is a to-do list; the queue; the connectors: CRM, billing and the
    # support chat are searched and exported.
    staff.goto("/staff/")
    expect(staff.locator("#todo-approval")).to_be_visible()
    shot(staff, "tour-3-overview")
    staff.goto("/staff/requests/")
    shot(staff, "tour-3-queue")
    staff.get_by_role("link", name=item.reference).click()
    jobs = staff.locator("#jobs")
    for system in ("CRM", "Billing", "Support chat"):  # by name, not "crm", "billing", "chat"
        expect(jobs).to_contain_text(system)
    expect(jobs.get_by_text("Failed")).to_have_count(0)
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_REVIEW
    shot(staff, "tour-3-case")

    # 4. Work the case: look at the answer as it will be sent, then send it.
    staff.get_by_role("link", name="Look at the package").click()
    expect(staff.locator("body")).to_contain_text("contact.csv")
    shot(staff, "tour-4-package")
    staff.goto(f"/staff/requests/{item.reference}/")
    staff.get_by_role("button", name="Send the answer").click()
    expect(staff.locator(".preview-letter")).to_be_visible()  # the letter as it will go
    expect(staff.get_by_role("link", name=re.compile("report.pdf"))).to_be_visible()
    shot(staff, "tour-4-preview")
    staff.get_by_role("button", name="Confirm and send").click()
    expect(staff.locator("#case-status")).to_have_text("Completed")

    # 5. Download the answer as the subject (the link in the e-mail, then the e-mailed code).
    ready = OutboxMessage.objects.filter(to__contains=DEMO_SUBJECT).order_by("-pk").first()
    assert ready is not None
    link = re.search(r"https?://[^\s]+/r/[^\s]+/", ready.body)
    assert link is not None, ready.body
    me.goto(re.sub(r"^https?://[^/]+", "", link.group(0)))
    if me.get_by_role("button", name="Send me a code").count():  # not this browser's session
        me.get_by_role("button", name="Send me a code").click()
        message = OutboxMessage.objects.filter(to__contains=DEMO_SUBJECT).order_by("-pk").first()
        assert message is not None
        status_code = re.search(r"\b(\d{6})\b", message.body)
        assert status_code is not None
        me.get_by_label(re.compile("Code")).fill(status_code.group(1))
        me.get_by_role("button", name="Open").click()
    shot(me, "tour-5-download")
    with me.expect_download() as download:
        me.get_by_role("link", name="Download your data").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    names = set(archive.namelist())
    assert {"data/crm/contact.csv", "data/billing/invoices.csv", "report.pdf"} <= names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["systems"]["chat"]["expired"] == {"chat_content": 24}
    assert "Erika Mustermann" in archive.read("data/crm/contact.csv").decode()
    for context in (subject, officer):
        context.close()
