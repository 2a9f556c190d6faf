"""Signing up with an address that has an account answers as for a new one, in the same time."""

import re
import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough password 2026"


class SlowishPBKDF2(PBKDF2PasswordHasher):
    """The real hasher with fewer rounds: slow enough to show, quick enough for a test."""

    iterations = 240_000


class Counted(SlowishPBKDF2):
    calls = 0

    def encode(self, password, salt, iterations=None):
        Counted.calls += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def real_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.Counted"]
    settings.ACCOUNT_RATE_LIMITS = False  # dozens of sign-ups from one address here
    Counted.calls = 0


def without_csrf_token(page) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())


def sign_up(client, email):
    client.cookies.clear()
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_a_known_address_gets_the_same_answer_as_a_new_one(client, outbox):
    UserFactory(email="known@example.org")
    known = sign_up(client, "known@example.org")
    known_page = client.get(known["Location"])
    new = sign_up(client, "new@example.org")
    new_page = client.get(new["Location"])
    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert sorted(known.cookies) == sorted(new.cookies)
    assert known_page.status_code == new_page.status_code == 200
    assert without_csrf_token(known_page).replace("known@", "new@") == without_csrf_token(new_page)
    assert len(outbox.to("known@example.org")) == len(outbox.to("new@example.org")) == 1


def test_a_known_address_costs_one_password_hash_like_a_new_one(client, real_hasher):
    UserFactory(email="known@example.org")
    Counted.calls = 0
    sign_up(client, "known@example.org")
    known = Counted.calls
    Counted.calls = 0
    sign_up(client, "new@example.org")
    assert known == Counted.calls == 1


def test_the_answer_takes_as_long_for_a_known_address(client, real_hasher):
    """Loose on purpose (the machine is shared): the gap between the paths' medians must stay
    well under the cost of one hash, which is what the known path used to save."""
    UserFactory(email="known@example.org")
    hashing = []
    for _ in range(5):
        began = time.perf_counter()
        make_password(PASSWORD)
        hashing.append(time.perf_counter() - began)
    times: dict[str, list[float]] = {"known": [], "new": []}
    for n in range(12):  # interleaved, so a busy moment hits both paths alike
        for path, email in (("known", "known@example.org"), ("new", f"new{n}@example.org")):
            began = time.perf_counter()
            response = sign_up(client, email)
            times[path].append(time.perf_counter() - began)
            assert response.status_code == 302
    gap = abs(statistics.median(times["known"]) - statistics.median(times["new"]))
    assert gap < statistics.median(hashing) / 2, (gap, statistics.median(hashing), times)
