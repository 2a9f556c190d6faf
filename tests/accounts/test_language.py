"""The chosen language is remembered in a cookie and on the account."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_switching_language_sets_the_cookie_and_translates_the_page(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "nl"
    page = client.get("/")
    assert '<html lang="nl">' in page.content.decode()
    assert "Uw rechten op gegevensbescherming" in page.content.decode()


def test_an_unknown_language_is_ignored(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert "django_language" not in response.cookies


def test_an_offsite_next_url_is_not_followed(client):
    response = client.post(
        reverse("set_language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_account_remembers_the_language_across_devices(client, django_user_model):
    user = UserFactory(email="subject@example.org")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert User.objects.get(pk=user.pk).language == "de"

    from django.test import Client

    other_device = Client()
    other_device.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    page = other_device.get("/")
    assert '<html lang="de">' in page.content.decode()
    assert page.cookies["django_language"].value == "de"


def test_the_browser_language_is_used_without_a_choice(client):
    page = client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
    assert "Ihre Datenschutzrechte" in page.content.decode()
