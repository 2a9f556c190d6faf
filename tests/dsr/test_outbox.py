"""The embedded-mode outbox: mail is stored, shown to staff only, and purged on schedule."""

from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail
from django.urls import reverse
from django.utils import timezone

from dsr.core.outbox import purge_outbox
from dsr.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db

OUTBOX = "dsr.core.outbox.OutboxEmailBackend"


def test_mail_sent_in_embedded_mode_lands_in_the_outbox(settings):
    settings.EMAIL_BACKEND = OUTBOX
    message = EmailMultiAlternatives(
        "Your request DSR-2026-00001",
        "Follow http://127.0.0.1:8000/verify/abc",
        "privacy@example.org",
        ["erika@example.org"],
    )
    message.attach_alternative("<p>Follow the link</p>", "text/html")
    message.send()
    stored = OutboxMessage.objects.get()
    assert stored.to == "erika@example.org"
    assert stored.subject == "Your request DSR-2026-00001"
    assert stored.html == "<p>Follow the link</p>"


def test_the_outbox_prints_messages_when_asked(settings, capsys):
    settings.EMAIL_BACKEND = OUTBOX
    settings.DSR_OUTBOX_PRINT = True
    send_mail("Verify", "Your code is 123456", "privacy@example.org", ["erika@example.org"])
    printed = capsys.readouterr().out
    assert "To: erika@example.org" in printed
    assert "Your code is 123456" in printed


def test_staff_read_the_outbox_and_follow_links(client, settings):
    settings.EMAIL_BACKEND = OUTBOX
    settings.DSR_BASE_URL = "http://127.0.0.1:8000"
    body = "Open http://127.0.0.1:8000/v/xyz (sent by https://evil.example/login)"
    send_mail("Verify", body, "privacy@example.org", ["e@x.org"])
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    listing = client.get(reverse("staff:outbox")).content.decode()
    assert "Verify" in listing
    detail = client.get(reverse("staff:outbox_message", args=[OutboxMessage.objects.get().pk]))
    assert '<a href="http://127.0.0.1:8000/v/xyz"' in detail.content.decode()
    # A link someone else wrote (a message stored before such links were defanged) stays text.
    assert "https://evil.example/login" in detail.content.decode()
    assert 'href="https://evil.example' not in detail.content.decode()


def test_data_subjects_cannot_read_the_outbox(client, settings):
    settings.EMAIL_BACKEND = OUTBOX
    send_mail("Verify", "secret link", "privacy@example.org", ["e@x.org"])
    client.force_login(UserFactory())
    pk = OutboxMessage.objects.get().pk
    assert client.get(reverse("staff:outbox_message", args=[pk])).status_code == 403


def test_old_outbox_mail_is_purged(settings):
    settings.DSR_OUTBOX_RETENTION_DAYS = 14
    old = OutboxMessage.objects.create(from_email="a", to="b", subject="old", body="x")
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    OutboxMessage.objects.create(from_email="a", to="b", subject="new", body="x")
    assert purge_outbox() == 1
    assert list(OutboxMessage.objects.values_list("subject", flat=True)) == ["new"]


def test_the_outbox_table_refreshes_itself_with_htmx(client, settings):
    settings.EMAIL_BACKEND = OUTBOX
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:outbox")).content.decode()
    assert 'hx-trigger="every 5s"' in page
    send_mail("Arrived later", "body", "privacy@example.org", ["e@x.org"])
    partial = client.get(reverse("staff:outbox"), headers={"hx-request": "true"}).content.decode()
    assert "Arrived later" in partial
    assert "<html" not in partial
