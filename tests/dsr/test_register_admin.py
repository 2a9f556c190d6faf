"""The privacy admin edits the register with a field per language and systems by name."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from connectors import registry
from dsr.demo_register import load_register
from dsr.models import Controller, OtherController, ProcessingActivity, Recipient
from dsr.models.register import TRANSLATED_FIELDS
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db

ADD = {
    "key": "newsletter",
    "name": "Newsletter",
    "name_de": "Newsletter-Versand",
    "name_nl": "Nieuwsbrief",
    "legal_basis": "consent",
    "purpose": "Sending the newsletter",
    "purpose_de": "Versand des Newsletters",
    "purpose_nl": "Versturen van de nieuwsbrief",
    "data_categories": "E-mail address",
    "data_categories_de": "E-Mail-Adresse",
    "retention": "Until you unsubscribe",
    "retention_nl": "Tot u zich afmeldt",
    "systems": ["crm"],
    "active": "on",
    "public_controllers-TOTAL_FORMS": "0",
    "public_controllers-INITIAL_FORMS": "0",
}


@pytest.fixture
def configured(settings):
    settings.DSR_CONNECTORS = {
        "crm": {"BACKEND": "connectors.backends.fake.FakeConnector", "NAME": "Salesforce CRM"},
        "wiki": {"BACKEND": "connectors.backends.fake.FakeConnector", "NAME": "Team wiki"},
        "chat": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": "Zendesk support chat",
            "ACTIVITIES": ["customer-service-chat"],
        },
    }
    registry.reset()
    yield
    registry.reset()


@pytest.fixture
def admin_client(client):
    user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, user.email, PASSWORD, secret)
    return client


def test_an_activity_is_added_in_three_languages_and_stored_as_before(admin_client, configured):
    load_register()
    page = admin_client.get(reverse("admin:dsr_processingactivity_add")).content.decode()
    assert 'name="name_de"' in page
    assert 'name="purpose_nl"' in page
    assert 'name="translations"' not in page  # no raw JSON
    # Systems by name, with the activities the register has for them; no alias as a label.
    assert "Zendesk support chat (activities: Customer service text chat)" in page
    assert "Team wiki (no activity yet)" in page

    response = admin_client.post(reverse("admin:dsr_processingactivity_add"), ADD)

    assert response.status_code == 302, response.content.decode()[:3000]
    activity = ProcessingActivity.objects.get(key="newsletter")
    assert activity.systems == ["crm"]
    assert activity.translations == {
        "de": {
            "name": "Newsletter-Versand",
            "purpose": "Versand des Newsletters",
            "data_categories": "E-Mail-Adresse",
        },
        "nl": {
            "name": "Nieuwsbrief",
            "purpose": "Versturen van de nieuwsbrief",
            "retention": "Tot u zich afmeldt",
        },
    }
    assert activity.text("retention", "de") == "Until you unsubscribe"  # English fallback
    changelist = admin_client.get(reverse("admin:dsr_processingactivity_changelist"))
    assert "Salesforce CRM" in changelist.content.decode()


def test_editing_an_activity_shows_its_texts_and_keeps_what_the_form_does_not_hold(
    admin_client, configured
):
    load_register()
    chat = ProcessingActivity.objects.get(key="customer-service-chat")
    chat.translations["de"]["future_field"] = "bleibt"
    chat.systems = ["retired"]
    chat.save()
    url = reverse("admin:dsr_processingactivity_change", args=[chat.pk])
    page = admin_client.get(url).content.decode()
    assert "Text-Chat des Kundenservice" in page
    assert "Tekstchat van de klantenservice" in page
    assert "retired (not configured)" in page

    data = {
        name: value
        for name, value in model_to_dict(
            chat, exclude=["id", "translations", "recipients", "systems"]
        ).items()
        if value not in (None, False)
    }
    data |= {f"{field}_de": chat.translations["de"].get(field, "") for field in TRANSLATED_FIELDS}
    data |= {
        "recipients": [r.pk for r in chat.recipients.all()],
        "systems": ["chat"],
        "name_nl": "",
        "purpose_nl": "",
        "data_categories_nl": "",
        "data_source_nl": "",
        "retention_nl": "",
        "legitimate_interest_nl": "",
        "automated_logic_nl": "",
        "automated_consequences_nl": "",
        "public_controllers-TOTAL_FORMS": "0",
        "public_controllers-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    chat.refresh_from_db()
    assert chat.systems == ["chat"]
    assert "nl" not in chat.translations  # every Dutch text emptied: the language is gone
    assert chat.translations["de"]["name"] == "Text-Chat des Kundenservice"
    assert chat.translations["de"]["future_field"] == "bleibt"


def test_the_admin_is_told_in_their_language_what_is_missing(admin_client, configured):
    admin_client.cookies["django_language"] = "de"
    data = ADD | {"name_de": "", "legal_basis": "legitimate_interests"}

    response = admin_client.post(
        reverse("admin:dsr_processingactivity_add"), data, HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Geben Sie den Namen auch auf Deutsch an" in page
    assert "Nennen Sie das berechtigte Interesse" in page
    assert not ProcessingActivity.objects.filter(key="newsletter").exists()


def test_a_recipients_safeguard_is_written_per_language(admin_client):
    response = admin_client.post(
        reverse("admin:dsr_recipient_add"),
        {
            "name": "Mailer Ltd",
            "role": "processor",
            "safeguard": "scc",
            "safeguard_detail": "Ask us for a copy.",
            "safeguard_detail_de": "Fragen Sie uns nach einer Kopie.",
            "safeguard_detail_nl": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    recipient = Recipient.objects.get(name="Mailer Ltd")
    german = "Fragen Sie uns nach einer Kopie."
    assert recipient.translations == {"de": {"safeguard_detail": german}}
    assert recipient.text("safeguard_detail", "nl") == "Ask us for a copy."


def test_the_controller_and_other_controllers_are_written_per_language_too(
    admin_client, configured
):
    controller = Controller.objects.get()
    Controller.objects.filter(pk=controller.pk).update(
        name="Example Ltd",
        address="1 Main Street\nLondon",
        country="DE",
        subdivision="",
        time_zone="Europe/Berlin",
        translations={"de": {"address": "Hauptstraße 1\nBerlin"}},
    )
    url = reverse("admin:dsr_controller_change", args=[controller.pk])
    page = admin_client.get(url).content.decode()
    assert "Hauptstraße 1" in page
    assert 'name="translations"' not in page
    response = admin_client.post(
        url,
        {
            "name": "Example Ltd",
            "address": "1 Main Street\nLondon",
            "country": "DE",
            "subdivision": "",
            "time_zone": "Europe/Berlin",
            "address_de": "Hauptstraße 1\nBerlin",
            "address_nl": "Hoofdstraat 1\nBerlijn",
            "authorities-TOTAL_FORMS": "0",
            "authorities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    controller.refresh_from_db()
    assert controller.text("address", "nl") == "Hoofdstraat 1\nBerlijn"
    assert controller.text("address", "de") == "Hauptstraße 1\nBerlin"

    # Other controllers are a superuser's to configure (the roles do not include them).
    User.objects.filter(email="admin@example.org").update(is_superuser=True)
    add = reverse("admin:dsr_othercontroller_add")
    assert "Salesforce CRM" in admin_client.get(add).content.decode()
    response = admin_client.post(
        add,
        {
            "name": "Partner GmbH",
            "kind": "joint_controller",
            "request_email": "privacy@partner.example",
            "language": "de",
            "contact_point": "privacy@partner.example",
            "arrangement": "The loyalty programme",
            "arrangement_de": "Das Treueprogramm",
            "systems": ["crm"],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = OtherController.objects.get(name="Partner GmbH")
    assert partner.systems == ["crm"]
    assert partner.translations == {"de": {"arrangement": "Das Treueprogramm"}}
