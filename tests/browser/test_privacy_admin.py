"""A privacy admin's day in Chromium: a register activity written in three languages through
the admin's forms (and read in German in an access report), a new officer invited who signs up
by the e-mailed link, and the queue that fits a 1280 px screen."""

import io
import subprocess
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from connectors import registry
from dsr.exports.package import read_package
from dsr.models import AnswerPackage, ProcessingActivity
from dsr.services import assignment, verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, fresh_totp_code, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "correct horse battery staple 17"


@pytest.fixture
def web_shop(settings, tmp_path):
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": {"en": "Web shop", "de": "Webshop", "nl": "Webwinkel"},
            "OPTIONS": {"state_dir": str(tmp_path / "fake")},
        }
    }
    registry.reset()
    yield
    registry.reset()


def log_in(browser, live_server, user, secret, *, width=1280, height=800):
    context = browser.new_context(
        locale="en-GB", base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_label("Code").fill(fresh_totp_code(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    page.wait_for_url("**/staff/")
    return page


def report_text(item) -> str:
    package = AnswerPackage.objects.get(request=item)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=archive.read("report.pdf"),
        capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode().split())


def test_a_privacy_admin_adds_an_activity_in_three_languages(
    browser, live_server, web_shop, outbox
):
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    page = log_in(browser, live_server, admin, secret)

    page.goto("/admin/dsr/processingactivity/add/")
    expect(page.locator('[name="translations"]')).to_have_count(0)  # no JSON to type
    page.locator('[name="key"]').fill("newsletter")
    page.locator('[name="name"]').fill("Newsletter")
    page.locator('[name="legal_basis"]').select_option("consent")
    page.get_by_label("Web shop (no activity yet)").check()  # by name, not "shop"
    page.locator('[name="purpose"]').fill("Sending you our newsletter")
    page.locator('[name="data_categories"]').fill("E-mail address, opened newsletters")
    page.locator('[name="retention"]').fill("Until you unsubscribe")
    page.locator('[name="name_de"]').fill("Newsletter-Versand")
    page.locator('[name="purpose_de"]').fill("Versand unseres Newsletters an Sie")
    page.locator('[name="data_categories_de"]').fill("E-Mail-Adresse, geöffnete Newsletter")
    page.locator('[name="retention_de"]').fill("Bis Sie sich abmelden")
    page.locator('[name="name_nl"]').fill("Nieuwsbrief")
    page.locator('[name="purpose_nl"]').fill("Het versturen van onze nieuwsbrief")
    page.locator('[name="retention_nl"]').fill("Tot u zich afmeldt")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("Web shop")

    activity = ProcessingActivity.objects.get(key="newsletter")
    assert activity.systems == ["shop"]
    assert activity.text("name", "nl") == "Nieuwsbrief"
    assert activity.text("data_categories", "nl") == "E-mail address, opened newsletters"

    # A German access request: its report tells the person about it in German.
    item = submit(email="erika@example.org", language="de")
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    shown = report_text(item)
    assert "Newsletter-Versand" in shown
    assert "Versand unseres Newsletters an Sie" in shown
    assert "Bis Sie sich abmelden" in shown
    assert "Sending you our newsletter" not in shown


def test_a_privacy_admin_invites_a_new_officer(browser, live_server, outbox):
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    page = log_in(browser, live_server, admin, secret)
    page.get_by_role("link", name="Staff and roles").click()
    page.get_by_label("E-mail address").fill("noah@example.org")
    page.get_by_label("Role").select_option("officer")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator('tr[data-user="noah@example.org"]')).to_contain_text("invited")
    expect(page.locator('tr[data-user="noah@example.org"]')).to_contain_text("not set up")

    message = outbox.last_to("noah@example.org")
    link = next(url for url in outbox.links(message) if "/staff-invitation/" in url)
    assert "choose your password" in message.body

    context = browser.new_context(locale="en-GB", base_url=live_server.url)
    officer = context.new_page()
    officer.set_default_timeout(15_000)
    officer.goto(path_of(link))
    expect(officer.get_by_role("heading", name="Join the privacy team")).to_be_visible()
    officer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    officer.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    officer.get_by_role("button", name="Choose the password and continue").click()
    officer.wait_for_url("**/2fa/totp/activate/")
    totp_secret = officer.locator("#authenticator_secret").input_value()
    officer.get_by_label("Authenticator code").fill(fresh_totp_code(totp_secret))
    officer.get_by_role("button", name="Activate").click()

    officer.wait_for_url("**/staff/")
    expect(officer.get_by_text("Two-factor authentication is set up.")).to_be_visible()
    expect(officer.get_by_role("link", name="Requests", exact=True)).to_be_visible()
    context.close()
    noah = User.objects.get(email="noah@example.org")
    assert noah.has_perm("accounts.work_cases")
    assert not noah.has_perm("accounts.configure_portal")

    page.reload()
    expect(page.locator('tr[data-user="noah@example.org"]')).to_contain_text("active")
    expect(page.locator('tr[data-user="noah@example.org"] .badge')).to_have_text("set up")


def horizontal_overflow(page) -> int:
    """How far the page is wider than the window (0: nothing to scroll sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def table_overflow(page) -> int:
    """How far the widest staff table is wider than its box (it then scrolls inside it)."""
    return int(
        page.evaluate(
            "Math.max(0, ...[...document.querySelectorAll('.table-responsive')]"
            ".map(box => box.scrollWidth - box.clientWidth))"
        )
    )


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_staff_tables_fit_the_screen(browser, live_server, web_shop, width):
    admin, secret = make_officer(email="anna@example.org", role=Role.ADMIN)
    colleague, _ = make_officer(
        email="maximiliane.alexandra.von-mustermann-beispielhausen@privacy-team.example.org"
    )
    for n in range(3):
        item = submit(
            email=f"a.very.long.address.of.a.person.number.{n}@an-example-domain.example.org",
            name="Maximiliane Alexandra von Mustermann-Beispielhausen",
            right="erasure",
        )
        assignment.assign(item, officer=admin, assignee=colleague)
    page = log_in(browser, live_server, admin, secret, width=width)
    for path in ("/staff/requests/", "/staff/users/", "/staff/outbox/", "/staff/stats/"):
        page.goto(path)
        assert horizontal_overflow(page) == 0, (path, width)
    page.goto("/staff/requests/")
    expect(page.locator("tr[data-reference]")).to_have_count(3)
    if width >= 1280:  # the whole queue in view, no scrolling inside the table either
        assert table_overflow(page) == 0
