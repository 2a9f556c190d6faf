"""The privacy admin's staff page: staff with roles and MFA, invitations, role changes."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from dsr.models import AuditEntry, AuditKind
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp, totp_code

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and new passphrase 42"


@pytest.fixture
def admin_client(client):
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin.email, PASSWORD, secret)
    client.admin = admin
    return client


def invitation_path(outbox, address: str) -> str:
    message = outbox.last_to(address)
    link = next(url for url in outbox.links(message) if "/staff-invitation/" in url)
    return re.sub(r"^https?://[^/]+", "", link)


def test_the_page_lists_staff_with_role_and_two_factor_status(admin_client):
    make_officer(email="olivia@example.org")
    make_officer(email="pending@example.org", with_totp=False)

    page = admin_client.get(reverse("staff:users")).content.decode()

    rows = {
        email: page[page.index(f'data-user="{email}"') :].split("</tr>")[0]
        for email in ("admin@example.org", "olivia@example.org", "pending@example.org")
    }
    assert "(you)" in rows["admin@example.org"]
    assert "set up" in rows["olivia@example.org"]
    assert "not set up" in rows["pending@example.org"]
    assert "Send a new invitation" in rows["pending@example.org"]
    assert "Send a new invitation" not in rows["olivia@example.org"]


def test_a_new_officer_is_invited_signs_up_by_the_link_and_lands_on_the_overview(
    admin_client, outbox
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(
            reverse("staff:users"),
            {"email": "Neu@Example.org", "role": "officer", "language": "de"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.org")
    assert not user.has_usable_password()
    assert user.language == "de"
    message = outbox.last_to("neu@example.org")
    assert "Passwort" in message.body  # in the language the admin chose
    path = invitation_path(outbox, "neu@example.org")
    entry = AuditEntry.objects.get(kind=AuditKind.STAFF_ACCOUNT)
    assert entry.actor_id == admin_client.admin.pk
    assert entry.data == {"change": "invited", "user": user.pk, "role": "officer", "new": "yes"}

    officer = Client()
    form = officer.get(path)
    assert form.status_code == 200
    assert "neu@example.org" in form.content.decode()
    mismatch = officer.post(path, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200
    signed_up = officer.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert signed_up["Location"] == reverse("mfa_activate_totp")
    page = officer.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.content[:300]
    secret = page.context["form"].secret
    enrolled = officer.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert enrolled["Location"] == reverse("staff:dashboard")
    assert officer.get(reverse("staff:dashboard")).status_code == 200
    assert Authenticator.objects.filter(user=user, type="totp").exists()

    # The link did its work: it opens nothing a second time.
    officer.logout()
    assert officer.get(path).status_code == 302  # to the login: the account has a password now


def test_roles_change_and_an_account_is_deactivated(admin_client):
    olivia, olivia_secret = make_officer(email="olivia@example.org")
    olivias = Client()
    login_with_totp(olivias, olivia.email, PASSWORD, olivia_secret)
    assert olivias.get(reverse("staff:dashboard")).status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("staff:user_role", args=[olivia.pk]), {"role": "admin"})
    olivia = User.objects.get(pk=olivia.pk)
    assert olivia.has_perm("accounts.configure_portal")
    assert olivia.is_staff

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("staff:user_role", args=[olivia.pk]), {"role": "officer"})
    olivia = User.objects.get(pk=olivia.pk)
    assert not olivia.has_perm("accounts.configure_portal")
    assert olivia.has_perm("accounts.work_cases")
    assert not olivia.is_staff

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("staff:user_deactivate", args=[olivia.pk]))
    assert not User.objects.get(pk=olivia.pk).is_active
    assert olivias.get(reverse("staff:dashboard")).status_code == 302  # signed out
    changes = [e.data["change"] for e in AuditEntry.objects.filter(kind=AuditKind.STAFF_ACCOUNT)]
    assert changes == ["role", "role", "deactivated"]
    assert "olivia" not in str([e.data for e in AuditEntry.objects.all()])

    own = admin_client.post(
        reverse("staff:user_deactivate", args=[admin_client.admin.pk]), follow=True
    )
    assert "cannot deactivate your own account" in own.content.decode()
    assert User.objects.get(pk=admin_client.admin.pk).is_active


def test_a_colleague_on_the_staff_already_is_not_invited_again(admin_client, outbox):
    make_officer(email="olivia@example.org")
    response = admin_client.post(
        reverse("staff:users"), {"email": "olivia@example.org", "role": "admin", "language": "en"}
    )
    assert "on the staff already" in response.content.decode()
    assert not User.objects.get(email="olivia@example.org").has_perm("accounts.configure_portal")
    assert not outbox.to("olivia@example.org")


def test_officers_do_not_manage_staff(client):
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    assert client.get(reverse("staff:users")).status_code == 403
    dashboard = client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:users") not in dashboard
