"""One language per page (issue 17, item 6): staff pages in the officer's language, with the
request's language shown and labelled where it matters; the requester's pages in the request's
language unless the person switches."""

import functools
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dsr.services import extension, questions, verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of

pytestmark = pytest.mark.django_db(transaction=True)

LOCALE = Path(__file__).resolve().parents[2] / "locale"
QUESTION = "Welche Kundennummer steht auf Ihrem Vertrag?"
REASONS = "Ihre Anfrage betrifft zwölf Systeme und drei Konzerngesellschaften."


@functools.cache
def translations(language: str) -> frozenset[str]:
    """The catalogue's whole sentences in ``language`` that differ from their English source."""
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    return frozenset(
        entry.msgstr
        for entry in catalogue.translated_entries()
        if entry.msgstr != entry.msgid
        and len(entry.msgstr) >= 25
        and "%" not in entry.msgstr
        and "{" not in entry.msgstr
        and "<" not in entry.msgstr
    )


class TextOutside(HTMLParser):
    """The page's visible text outside the elements marked as another language."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language, self.depth = language, 0
        self.parts: list[str] = []
        self.skip = 0  # inside script or style

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth or dict(attrs).get("lang") not in (None, self.language):
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.depth and not self.skip:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str, language: str) -> str:
        parser = cls(language)
        parser.feed(page)
        return " ".join(" ".join(parser.parts).split())


def foreign(page: str, language: str, other: str) -> list[str]:
    """Sentences of ``other``'s catalogue on a page in ``language``, outside marked elements."""
    text = TextOutside.of(page, language)
    return sorted(s for s in translations(other) if " ".join(s.split()) in text)


@pytest.fixture
def german_case(outbox):
    officer, secret = make_officer()
    item = submit(language="de", name="Erika Mustermann")
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    questions.request_information(
        item, officer=officer, question=QUESTION, purpose="scope", reason="Which contract."
    )
    extension.extend(
        item, officer=officer, reasons=REASONS, ground="complexity", facts=["many_systems"]
    )
    item.refresh_from_db()
    return item, officer, secret


def test_an_english_officer_sees_a_german_case_in_english_with_its_letters_labelled(german_case):
    item, officer, secret = german_case
    questions.answer_information(item, body="Die Nummer ist 4711.")
    client = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert '<html lang="en">' in page
    assert "Letters sent" in page
    assert "Request in German" in page  # beside the requester's reply
    assert "Letter in German" in page  # each letter says which language it went out in
    assert 'lang="de"' in page
    assert foreign(page, "en", "de") == []
    assert item.letters.filter(template="extended").exists()


def test_an_officer_who_chose_dutch_gets_the_staff_page_in_dutch_whatever_the_request(
    german_case,
):
    item, officer, secret = german_case
    officer.language = "nl"
    officer.save(update_fields=["language"])
    client = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert '<html lang="nl">' in page
    assert "Brief in het Duits" in page
    assert foreign(page, "nl", "de") == []


def _status_page(client, outbox, item):
    message = outbox.to(item.email)[0]
    link = path_of(next(u for u in outbox.links(message) if "/r/" in u and "verify" not in u))
    client.post(link, {"send": "1"})
    client.post(link, {"code": code_in(outbox.last_to(item.email))})
    return link


def test_the_requesters_status_page_is_in_the_requests_language_until_they_switch(
    german_case, outbox
):
    item, _officer, _secret = german_case
    browser = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    link = _status_page(browser, outbox, item)
    page = browser.get(link).content.decode()
    assert '<html lang="de">' in page
    assert item.reference in page
    assert foreign(page, "de", "nl") == []

    # The person switches with the language selector: their choice holds from then on.
    browser.post(reverse("set_language"), {"language": "en", "next": link})
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = browser.get(link).content.decode()
    assert '<html lang="en">' in page
    assert foreign(page, "en", "de") == []


def test_the_requesters_reply_is_thanked_in_the_requests_language(german_case, outbox):
    item, _officer, _secret = german_case
    browser = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    link = _status_page(browser, outbox, item)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    answer = browser.post(
        reverse("dsr:reply", args=[token]), {"body": "Die Nummer ist 4711."}, follow=True
    )
    page = answer.content.decode()
    assert '<html lang="de">' in page
    assert "Thank you. We have received your answer." not in page


def test_the_verification_link_page_is_in_the_requests_language(outbox):
    item = submit(language="de")
    message = outbox.last_to(item.email)
    link = path_of(next(u for u in outbox.links(message) if "/r/verify/" in u))
    browser = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    page = browser.get(link).content.decode()
    assert '<html lang="de">' in page
    assert foreign(page, "de", "nl") == []
