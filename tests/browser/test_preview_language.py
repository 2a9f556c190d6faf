"""An officer whose browser is English works a German request in Chromium: every heading and
button is English, the previewed letter German and labelled so, and what goes out is the German
letter that was previewed; a redaction withdrawn before release leaves the rebuilt package
(issue 17, items 4 and 6)."""

import io
import zipfile

import pytest
from django.test import Client
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from connectors import registry
from dsr.exports.package import read_package
from dsr.models import AnswerPackage, EventKind, Status, SubjectRequest
from dsr.services import verification
from tests.connectors import sources
from tests.factories import PASSWORD, make_officer, submit
from tests.fixtures.browser import screenshot
from tests.helpers import code_in, login_with_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLEAGUE = "Anna Schmidt"
MARKER = "[entfernt: Daten einer anderen Person]"  # the German marker in the German answer


@pytest.fixture
def crm(settings, tmp_path):
    url = sources.database_url("sqlite", "preview", tmp_path)
    sources.seed(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE notes SET body = :b WHERE id = 101"),
            {"b": f"Called back; {COLLEAGUE} (her colleague) answered"},
        )
    engine.dispose()
    settings.DSR_CONNECTORS = {
        "crm": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "CRM",
            "OPTIONS": {"url": url, "mapping": sources.CRM_MAPPING},
        }
    }
    registry.reset()
    yield url
    registry.reset()


@pytest.fixture
def officer_page(browser, live_server):
    officer, secret = make_officer()
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    # The officer's browser asks for English; nothing on the account says otherwise.
    context = browser.new_context(locale="en-GB", base_url=live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def package_text(package: AnswerPackage) -> str:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))
    return "".join(
        archive.read(name).decode() for name in archive.namelist() if name.endswith(".csv")
    )


def test_an_english_officer_previews_and_sends_the_german_answer_after_withdrawing_a_redaction(
    officer_page, crm, outbox
):
    page = officer_page
    item = submit(email=sources.SUBJECT, language="de")
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    first = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    assert COLLEAGUE in package_text(first)

    # The package page, in English: redact the colleague's name, then withdraw the redaction.
    page.goto(f"/staff/requests/{item.reference}/package/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Redactions")).to_be_visible()
    page.get_by_label("Text to redact").fill(COLLEAGUE)
    page.get_by_label("Reason (kept in the case log)").fill("A colleague, not the data subject.")
    page.get_by_role("button", name="Redact in every file").click()
    expect(page.locator(".alert-success")).to_contain_text("redacted in every file")
    page.reload()
    expect(page.locator("body")).to_contain_text(MARKER)
    redacted = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    assert COLLEAGUE not in package_text(redacted)

    row = page.locator("tr.redaction")
    row.get_by_label("Why it is withdrawn").fill("She is the subject's co-signatory.")
    row.get_by_role("button", name="Withdraw").click()
    expect(page.locator(".alert-success")).to_contain_text("redaction is withdrawn")
    page.reload()
    expect(page.locator("tr.redaction")).to_have_count(0)
    expect(page.locator("body")).to_contain_text(COLLEAGUE)
    rebuilt = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    assert rebuilt.pk != redacted.pk
    assert COLLEAGUE in package_text(rebuilt)
    assert MARKER not in package_text(rebuilt)
    withdrawn = item.events.get(kind=EventKind.REDACTION_WITHDRAWN)
    assert withdrawn.reason == "She is the subject's co-signatory."
    assert COLLEAGUE not in str(withdrawn.data)  # the log keeps the reason, never the text

    # The case page of the German request is English for this officer.
    page.goto(f"/staff/requests/{item.reference}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for heading in ("Requester", "What is asked", "Answer package", "Letters sent", "Timeline"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.get_by_role("button", name="Send the answer").click()

    # The preview: English around it, the letter German and labelled so, the report beside it.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check before you confirm: Send the answer"
    )
    letter = page.locator(".preview-letter")
    expect(letter).to_have_count(1)
    expect(letter).to_have_attribute("data-language", "de")
    expect(letter.get_by_role("heading")).to_contain_text("Letter in German")
    subject = f"Ihre Antwort auf die Anfrage {item.reference} ist fertig"
    expect(letter.locator("[lang=de] .preview-subject")).to_have_text(subject)
    report = page.get_by_role("link", name="Open report.pdf as it will be sent")
    pdf = page.request.get(report.get_attribute("href") or "")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    expect(page.get_by_role("link", name="Cancel: back to the case")).to_be_visible()
    screenshot(page, "preview-answer-german")
    assert SubjectRequest.objects.get(pk=item.pk).status != Status.COMPLETED  # nothing sent yet
    sent = len(outbox.to(sources.SUBJECT))

    page.get_by_role("button", name="Confirm and send").click()
    expect(page.locator("#case-status")).to_have_text("Completed")
    expect(page.locator(".alert-success")).to_contain_text("The answer was sent")
    assert len(outbox.to(sources.SUBJECT)) == sent + 1
    went = outbox.last_to(sources.SUBJECT)
    assert went.subject == subject  # the German letter that was previewed
    assert MARKER not in went.body
    released = AnswerPackage.objects.get(pk=rebuilt.pk)
    assert released.released_at is not None
