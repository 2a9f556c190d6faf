"""A data subject opens an account: the confirmation e-mail arrives in their language."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_data_subject_signs_up_and_confirms_the_address_in_dutch(client, outbox):
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    response = client.post(
        reverse("account_signup"),
        {
            "email": "jan@example.nl",
            "password1": "een lang wachtwoord 2026",
            "password2": "een lang wachtwoord 2026",
        },
    )
    assert response.status_code == 302
    message = outbox.last_to("jan@example.nl")
    assert "Bevestig" in message.subject or "bevestig" in message.body.lower()
    link = next(url for url in outbox.links(message) if "/accounts/confirm-email/" in url)
    path = re.sub(r"^https?://[^/]+", "", link)
    client.post(path)
    assert EmailAddress.objects.get(email="jan@example.nl").verified


def test_a_weak_password_is_refused_with_a_message_next_to_the_field(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "jan@example.nl", "password1": "short", "password2": "short"},
        headers={"accept-language": "de"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "invalid-feedback" in page
    assert "zu kurz" in page
