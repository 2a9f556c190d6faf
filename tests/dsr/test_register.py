"""The processing register: the seeds' activities, recipients by name, texts per language."""

import pytest

from connectors import registry
from dsr.core.register import activities_for_system, recipients_for_system
from dsr.demo_register import load_register
from dsr.models import OtherController, ProcessingActivity, Recipient

pytestmark = pytest.mark.django_db


def test_the_demo_register_holds_the_facts_of_the_seeds():
    assert load_register() == 8
    assert load_register() == 8  # loading again adds nothing
    chat = ProcessingActivity.objects.get(key="customer-service-chat")
    assert "24 hours" in chat.retention
    assert "28 days" in chat.retention
    assert "7 days" in ProcessingActivity.objects.get(key="web-server-logs").retention
    assert "90 days" in ProcessingActivity.objects.get(key="contract-data").retention
    video = ProcessingActivity.objects.get(key="video-ident")
    assert [r.name for r in video.recipients.all()] == ["Purpleview GmbH"]
    salesforce = Recipient.objects.get(name="Salesforce, Inc.")
    assert salesforce.country == "US"
    assert salesforce.safeguard == "bcr"
    # Seed 003: Facebook Ireland is a joint controller of what its pixel collects (Art. 26).
    facebook = OtherController.objects.get(name="Facebook Ireland Ltd")
    assert facebook.kind == "joint_controller"
    assert [a.key for a in facebook.activities.all()] == ["facebook-pixel"]
    assert "4 Grand Canal Square" in facebook.contact_point
    # The webshop's fraud prevention assesses each order's risk: the one automated decision.
    (automated,) = ProcessingActivity.objects.filter(automated_decision=True)
    assert automated.key == "webshop-fraud-prevention"
    assert [r.name for r in automated.recipients.all()] == ["Risk.Ident GmbH"]
    assert automated.automated_logic
    assert automated.text("automated_consequences", "de").startswith("Eine Bestellung")


def test_texts_come_in_the_readers_language():
    load_register()
    chat = ProcessingActivity.objects.get(key="customer-service-chat")
    assert chat.text("name", "de") == "Text-Chat des Kundenservice"
    assert chat.text("name", "nl") == "Tekstchat van de klantenservice"
    assert chat.text("name", "en") == "Customer service text chat"
    assert chat.text("data_categories", "de").startswith("Chatinhalte")
    untranslated = ProcessingActivity.objects.create(
        key="new",
        name="New",
        purpose="P",
        legal_basis="contract",
        data_categories="Names",
        retention="R",
        translations={"de": {"name": "Neu"}},
    )
    assert untranslated.text("data_categories", "de") == "Names"  # falls back to English
    assert untranslated.text("name", "de") == "Neu"
    with pytest.raises(ValueError, match="not a translated field"):
        chat.text("key", "de")
    salesforce = Recipient.objects.get(name="Salesforce, Inc.")
    assert salesforce.text("safeguard_detail", "nl").startswith("De bindende")
    assert salesforce.text("safeguard_detail", "en") == salesforce.safeguard_detail
    with pytest.raises(ValueError, match="not a translated field"):
        salesforce.text("name", "de")


@pytest.mark.parametrize("language", ["de", "nl"])
def test_every_text_of_the_demo_register_the_report_shows_is_translated(language):
    from dsr.demo_register import ACTIVITIES, RECIPIENTS
    from dsr.models.register import RECIPIENT_TRANSLATED_FIELDS, TRANSLATED_FIELDS

    for entry in ACTIVITIES:
        texts = entry["translations"][language]
        missing = [f for f in TRANSLATED_FIELDS if entry.get(f) and not texts.get(f)]
        assert not missing, (entry["key"], missing)
    for entry in RECIPIENTS:
        texts = entry.get("translations", {}).get(language, {})
        missing = [f for f in RECIPIENT_TRANSLATED_FIELDS if entry.get(f) and not texts.get(f)]
        assert not missing, (entry["name"], missing)


def test_a_system_finds_its_activities_and_recipients(settings):
    load_register()
    settings.DSR_CONNECTORS = {
        "chat": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "RECIPIENTS": ["Zendesk, Inc. (processor)"],
        },
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "ACTIVITIES": ["video-ident"],
        },
    }
    registry.reset()
    try:
        assert [a.key for a in activities_for_system("chat")] == ["customer-service-chat"]
        assert recipients_for_system("chat") == ["Salesforce, Inc.", "Zendesk, Inc. (processor)"]
        assert [a.key for a in activities_for_system("shop")] == ["video-ident"]
        assert activities_for_system("unknown") == []
    finally:
        registry.reset()
