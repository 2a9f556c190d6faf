"""An officer's day in Chromium: TOTP login, the overdue queue, a case, a failed job retried,
an erasure proposed by one officer and approved by another, the completion letter."""

from datetime import timedelta

import pytest
import yaml
from playwright.sync_api import expect

from connectors import registry
from dsr.core.clock import today
from dsr.models import JobStatus, Status, SubjectRequest
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.fixtures.browser import screenshot
from tests.helpers import code_in, fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def systems(settings, tmp_path):
    """A CRM that works and a chat system whose first erasure fails (one attempt allowed)."""
    config = tmp_path / "connectors.yaml"
    fake = "connectors.backends.fake.FakeConnector"
    config.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    "crm": {"name": "CRM", "backend": fake, "options": {}},
                    "chat": {
                        "name": "Support chat",
                        "backend": fake,
                        "options": {
                            "capabilities": ["erase"],
                            "transient_failures": 1,
                            "state_dir": str(tmp_path / "chat"),
                        },
                    },
                }
            }
        )
    )
    settings.DSR_CONNECTORS_FILE = str(config)
    settings.DSR_JOB_MAX_ATTEMPTS = 1
    registry.reset()
    yield
    registry.reset()


def log_in(browser, live_server, officer, secret):
    context = browser.new_context(locale="en-GB", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/staff/")
    return page


def test_two_officers_erase_an_overdue_request(browser, live_server, systems, outbox):
    anna, anna_secret = make_officer(email="anna@example.org")
    ben, ben_secret = make_officer(email="ben@example.org")
    item = submit(right="erasure", email="erika@example.org", name="Erika Mustermann")
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    on_time = submit(email="max@example.org")
    SubjectRequest.objects.filter(pk=item.pk).update(due_on=today() - timedelta(days=2))
    # The erasure's locate phase ran; nothing is erased before the approval.
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"pending"}

    page = log_in(browser, live_server, anna, anna_secret)
    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page.locator("tr[data-reference]")).to_have_count(2)
    page.get_by_role("link", name="Overdue", exact=True).click()
    rows = page.locator("tr[data-reference]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", item.reference)
    expect(rows.first.locator("[data-badge]")).to_have_text("overdue")
    expect(page.get_by_text("erika@example.org")).to_have_count(0)  # masked in the queue
    screenshot(page, "staff-queue-overdue")
    assert on_time.reference not in page.content()

    page.get_by_role("link", name=item.reference).click()
    expect(page.locator("h1")).to_contain_text(item.reference)
    preview = page.locator("#erasure-preview")
    expect(preview.locator('[data-system="crm"]')).to_contain_text("3 records")
    expect(preview.locator('[data-system="chat"]')).to_contain_text("cannot be searched")
    page.get_by_label("Why the erasure may go ahead").fill("No retention duty applies.")
    page.get_by_role("button", name="Propose erasure").click()
    expect(page.get_by_text("waiting for a second officer").first).to_be_visible()
    # The proposer cannot approve it.
    expect(page.get_by_role("button", name="Approve proposal")).to_have_count(0)
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"pending"}

    other = log_in(browser, live_server, ben, ben_secret)
    other.goto(f"/staff/requests/{item.reference}/")
    other.get_by_role("button", name="Approve proposal").click()
    # Before it cannot be undone: what each system will erase and keep, then confirm.
    expect(other.locator('#preview-erasure [data-system="crm"]')).to_contain_text("3 records")
    other.get_by_role("button", name="Confirm", exact=True).click()
    expect(other.locator(".alert-success")).to_be_visible()
    chat = item.jobs.get(system="chat", action="erase")
    assert chat.status == JobStatus.FAILED
    expect(other.locator("#jobs")).to_contain_text("Failed")
    screenshot(other, "staff-case-failed-job")

    # Back to the first officer: retry the failed job, then complete.
    page.reload()
    page.locator("#jobs").get_by_role("button", name="Retry", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("started again")
    chat.refresh_from_db()
    assert chat.status == JobStatus.SUCCEEDED
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_REVIEW
    page.get_by_role("button", name="Complete and send the letter").click()
    expect(page.locator(".preview-letter")).to_contain_text(item.reference)
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.locator(".alert-success")).to_contain_text("completed")
    letters = page.locator("#letters")
    expect(letters).to_contain_text("erika@example.org")
    screenshot(page, "staff-case-completed")
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.COMPLETED
    letter = outbox.last_to("erika@example.org")
    assert item.reference in letter.subject
    # The accountability figures count it at once.
    page.get_by_role("link", name="Statistics").click()
    expect(page.locator("h1")).to_contain_text("Statistics")
    screenshot(page, "staff-statistics")
    for context in (page.context, other.context):
        context.close()
