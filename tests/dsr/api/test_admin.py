"""Privacy admins create, limit and revoke API keys and subscribe webhooks in the admin."""

import hashlib
import re

import pytest
from django.urls import reverse

from accounts.roles import Role, sync_roles
from dsr.models import ApiKey, WebhookSubscription
from dsr.services import api_keys, webhook_subscriptions
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db


def shown_once(page) -> str:
    found = re.search(r'class="secret-shown-once">([^<]+)<', page.content.decode())
    assert found is not None
    return found.group(1)


@pytest.fixture
def admin_client(client):
    sync_roles()
    user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, user.email, PASSWORD, secret)
    return client


def test_a_new_key_is_shown_once_and_kept_only_as_its_hash(admin_client):
    page = admin_client.post(
        reverse("admin:dsr_apikey_add"),
        {"name": "Call centre", "scopes": ["intake"], "rate": "120/60", "expires_at": ""},
    )
    assert page.status_code == 200, page.content[:2000]
    token = shown_once(page)
    key = ApiKey.objects.get()
    assert key.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(key.prefix + "_")
    assert token not in str(ApiKey.objects.values().get())
    assert api_keys.authenticate(token) == key
    assert (key.scopes, key.rate, key.name) == (["intake"], "120/60", "Call centre")
    listing = admin_client.get(reverse("admin:dsr_apikey_changelist")).content.decode()
    assert key.prefix in listing
    assert token not in listing


def test_an_admin_revokes_a_key(admin_client, settings):
    from accounts.models import User

    created = api_keys.create_key(
        name="Old CRM", scopes=["read"], created_by=User.objects.get(email="admin@example.org")
    )
    admin_client.post(
        reverse("admin:dsr_apikey_changelist"),
        {"action": "revoke", "_selected_action": [created.key.pk]},
    )
    assert ApiKey.objects.get().revoked_at is not None
    assert api_keys.authenticate(created.token) is None


def test_a_bad_rate_limit_is_refused(admin_client):
    page = admin_client.post(
        reverse("admin:dsr_apikey_add"), {"name": "X", "scopes": ["read"], "rate": "lots"}
    )
    assert "count/seconds" in page.content.decode()
    assert not ApiKey.objects.exists()


def test_a_subscription_gets_a_secret_shown_once_and_kept_encrypted(admin_client, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    page = admin_client.post(
        reverse("admin:dsr_webhooksubscription_add"),
        {
            "name": "Ticketing",
            "url": "http://127.0.0.1:9/hooks",
            "events": ["request.created", "job.failed"],
            "active": "on",
        },
    )
    assert page.status_code == 200, page.content[:2000]
    secret = shown_once(page)
    subscription = WebhookSubscription.objects.get()
    assert secret not in subscription.secret_encrypted
    assert webhook_subscriptions.secret_of(subscription) == secret
    assert subscription.events == ["job.failed", "request.created"]


def test_a_url_the_egress_rules_refuse_cannot_be_subscribed(admin_client, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []
    page = admin_client.post(
        reverse("admin:dsr_webhooksubscription_add"),
        {"name": "Internal", "url": "http://10.0.0.8/hooks", "events": ["request.created"]},
    )
    assert "DSR_WEBHOOK_ALLOWED_HOSTS" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_staff_page_creates_a_key_once_and_revokes_it(admin_client):
    page = admin_client.post(
        reverse("staff:api_keys"), {"name": "Helpdesk", "scopes": ["intake", "read"], "rate": ""}
    )
    token = shown_once(page)
    key = ApiKey.objects.get()
    assert api_keys.authenticate(token) == key
    listing = admin_client.get(reverse("staff:api_keys")).content.decode()
    assert key.prefix in listing
    assert token not in listing  # shown once
    admin_client.post(reverse("staff:api_key_revoke", args=[key.pk]))
    assert api_keys.authenticate(token) is None


def test_an_officer_without_the_admin_role_gets_no_keys_page(client):
    officer, secret = make_officer(email="officer@example.org")
    login_with_totp(client, officer.email, PASSWORD, secret)
    assert client.get(reverse("staff:api_keys")).status_code == 403
    assert (
        client.post(reverse("staff:api_keys"), {"name": "X", "scopes": ["read"]}).status_code == 403
    )
    assert not ApiKey.objects.exists()
