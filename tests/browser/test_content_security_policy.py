"""The pages work in Chromium with the Content-Security-Policy enforced (no inline script, no
inline style) and the browser reports no violation (issue 16, item 6)."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.roles import Role
from dsr.core.tokens import status_token
from dsr.models import SubjectRequest
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, fresh_totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (and is not subject to the page's policy): every violation the
# browser reports is kept for the test to read.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline")
    + " " + (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


class Watched:
    """A page whose policy violations (events and console errors) are collected."""

    def __init__(self, browser, live_server):
        self.context = browser.new_context(locale="en-GB", base_url=live_server.url)
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text or "Refused to" in message.text
                else None
            ),
        )
        self.seen: list[str] = []
        self.earlier: list[str] = []

    def goto(self, path):
        self.earlier += self.page.evaluate("window.__violations || []")  # before it is gone
        response = self.page.goto(path)
        assert response is not None
        assert response.status < 400, (path, response.status)
        policy = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in policy, (path, policy)
        assert "unsafe-inline" not in policy
        self.seen.append(path)
        return response

    def violations(self) -> list[str]:
        found = self.page.evaluate("window.__violations || []")
        return [*self.earlier, *found, *self.console]


@pytest.fixture
def watched(browser, live_server):
    watched = Watched(browser, live_server)
    yield watched
    watched.context.close()


def test_the_requester_pages_work_under_the_policy(watched, outbox):
    page = watched.page
    watched.goto("/")
    assert watched.violations() == []

    watched.goto("/request/access/")
    heading = page.locator("#subject-heading")
    agent_fields = page.locator("#agent-fields")
    expect(agent_fields).to_be_hidden()  # the script ran: only for an agent
    expect(heading).to_have_text("About you")
    page.get_by_label("I am asking on behalf of someone else").check()
    expect(agent_fields).to_be_visible()
    expect(heading).to_have_text("The person you act for")
    page.get_by_label("I am asking about my own data").check()
    expect(agent_fields).to_be_hidden()
    page.get_by_label("E-mail address", exact=True).fill("erika@example.org")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    page.get_by_label("Code from the e-mail").fill(code_in(outbox.last_to("erika@example.org")))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#request-status")).to_have_text("Verified")
    assert watched.violations() == []

    # Withdrawing asks first (a script, not an onsubmit attribute): dismissed, nothing happens.
    questions: list[str] = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Withdraw").first.click()
    page.wait_for_timeout(300)
    assert questions
    assert "cannot be undone" in questions[0]
    expect(page.locator("#request-status")).to_have_text("Verified")

    # The language switches on change (no onchange attribute).
    page.get_by_label("Language").select_option("de")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert watched.violations() == []


def test_the_staff_pages_and_the_admin_work_under_the_policy(watched, outbox):
    officer, secret = make_officer(email="anna@example.org", role=Role.ADMIN)
    item = submit(right="erasure", email="erika@example.org", name="Erika Mustermann")
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    page = watched.page

    watched.goto("/accounts/login/")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/staff/")
    assert watched.violations() == []

    watched.goto("/staff/requests/")
    expect(page.locator("tr[data-reference]")).to_have_count(1)
    watched.goto(f"/staff/requests/{item.reference}/")
    ground = page.locator("#id_refusal_ground")
    statute = page.locator("#refusal-statute")
    if ground.count():
        page.get_by_text("Refusal or partial refusal").click()  # its <details>
        expect(statute).to_be_hidden()  # the script ran: only for an exception in law
        ground.select_option("exception")
        expect(statute).to_be_visible()
        ground.select_option(index=0)
        expect(statute).to_be_hidden()
    watched.goto("/staff/stats/")
    # The account pages (allauth's, with their JSON script data and the passkey scripts).
    watched.goto("/accounts/email/")
    watched.goto("/accounts/2fa/")
    watched.goto("/accounts/2fa/webauthn/add/")
    assert watched.violations() == []

    # The admin: its index, a list and a change form (with its own scripts and widgets).
    watched.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    watched.goto("/admin/dsr/controller/")
    page.locator("#result_list a").first.click()
    expect(page.locator("form")).not_to_have_count(0)
    watched.goto("/admin/dsr/processingactivity/add/")
    assert watched.violations() == []

    # A status page as the requester sees it, from the staff browser too: still no violation.
    request = SubjectRequest.objects.get(pk=item.pk)
    watched.goto(f"/r/{status_token(request)}/")
    assert watched.violations() == [], watched.seen
    assert settings.DSR_CONTENT_SECURITY_POLICY
