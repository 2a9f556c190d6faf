"""Errors and rate limits answer in the visitor's language, in the portal's layout."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_explained_in_german(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/", headers={"accept-language": "de"})
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_a_forbidden_page_is_explained_in_dutch(client):
    client.force_login(UserFactory())
    response = client.get(reverse("staff:dashboard"), headers={"accept-language": "nl"})
    assert response.status_code == 403
    assert "Geen toegang" in response.content.decode()


def test_failed_logins_are_rate_limited_with_a_translated_message(client):
    user = UserFactory(email="subject@example.org")
    answers = [
        client.post(
            reverse("account_login"),
            {"login": user.email, "password": "wrong password"},
            headers={"accept-language": "de"},
        )
        for _ in range(6)
    ]
    assert all(answer.status_code == 200 for answer in answers)
    assert "Zu viele gescheiterte Anmeldeversuche" in answers[-1].content.decode()
    assert "Zu viele gescheiterte Anmeldeversuche" not in answers[0].content.decode()


def test_too_many_requests_get_the_translated_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}
    for _ in range(2):
        client.post(reverse("account_login"), {"login": "a@b.org", "password": "x"})
    response = client.post(
        reverse("account_login"),
        {"login": "a@b.org", "password": "x"},
        headers={"accept-language": "nl"},
    )
    assert response.status_code == 429
    assert "Te veel pogingen" in response.content.decode()


def test_a_wrong_password_says_so_next_to_the_form(client):
    user = UserFactory(email="subject@example.org")
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong password"}
    )
    page = response.content.decode()
    assert 'class="alert alert-danger"' in page
    assert "The email address and/or password you specified are not correct." in page
