"""No personal data in cookies: the requester's address never rides in a Set-Cookie (issue 16).

Django's default message storage keeps messages in a signed cookie, readable by anyone who
sees it (signed, not encrypted); allauth's messages name the address ("signed in as ...")."""

import base64
import zlib

import pytest
from django.test import Client
from django.urls import reverse

from dsr.core.tokens import status_token
from dsr.models import SubjectRequest
from tests.factories import PASSWORD, UserFactory
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "erika@example.org"


def readable(value: str) -> str:
    """A cookie's value and, for a signed one, what it says (signing encodes, never hides)."""
    text = value
    payload = value.split(":", 1)[0]
    compressed = payload.startswith(".")
    try:
        data = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload) % 4))
        text += " " + (zlib.decompress(data) if compressed else data).decode(errors="replace")
    except (ValueError, zlib.error):
        pass
    return text


class Watching(Client):
    """A browser that remembers every cookie it was ever sent."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def request(self, **request):
        response = super().request(**request)
        for morsel in response.cookies.values():
            self.seen.append(f"{morsel.key}={readable(morsel.value)}")
        return response

    def follow(self, response):
        while response.status_code in (301, 302):
            response = self.get(response["Location"])
        return response


def test_filing_signed_in_never_puts_the_address_in_a_cookie(outbox):
    browser = Watching()
    UserFactory(email=ADDRESS)
    browser.follow(browser.post(reverse("account_login"), {"login": ADDRESS, "password": PASSWORD}))
    browser.follow(
        browser.post(
            reverse("dsr:intake", args=["access"]),
            {"requester": "myself", "email": ADDRESS, "scope": ""},
        )
    )
    assert SubjectRequest.objects.exists()
    assert browser.seen  # the session cookie at least
    assert not [cookie for cookie in browser.seen if ADDRESS in cookie]


def test_filing_and_the_status_page_code_never_put_the_address_in_a_cookie(outbox):
    browser = Watching()
    browser.follow(
        browser.post(
            reverse("dsr:intake", args=["access"]),
            {"requester": "myself", "email": ADDRESS, "scope": ""},
        )
    )
    browser.follow(browser.post(reverse("dsr:sent"), {"code": code_in(outbox.last_to(ADDRESS))}))
    item = SubjectRequest.objects.get()

    later = Watching()  # another day, another browser: the link, then the e-mailed code
    url = reverse("dsr:status", args=[status_token(item)])
    later.get(url)
    later.follow(later.post(url, {"send": "1"}))
    page = later.follow(later.post(url, {"code": code_in(outbox.last_to(ADDRESS))}))
    assert item.reference in page.content.decode()
    assert not [c for c in browser.seen + later.seen if ADDRESS in c]
