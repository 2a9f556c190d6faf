"""The home page in a real browser: it loads, and switching to Dutch shows Dutch text."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_page_switches_to_dutch(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Your data protection rights"
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "home-en")

    page.get_by_label("Language").select_option("nl")
    # The select submits the form; expect() waits for the reloaded page.
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("h1")).to_have_text("Uw rechten op gegevensbescherming")
    assert page.get_by_role("link", name="Aanmelden").is_visible()

    page.reload()  # the choice is remembered
    expect(page.locator("h1")).to_have_text("Uw rechten op gegevensbescherming")
    screenshot(page, "home-nl")


def test_the_page_loads_nothing_from_the_internet(page, live_server):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert outside == []
    # Bootstrap really arrived (served by WhiteNoise), so the page is styled.
    navbar_display = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert navbar_display == "flex"


def test_an_officer_logs_in_with_totp_in_the_browser(page):
    from tests.factories import PASSWORD, make_officer
    from tests.helpers import fresh_totp_code

    officer, secret = make_officer()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/staff/")
    expect(page.locator("h1")).to_have_text("Overview")
    screenshot(page, "staff-overview")
