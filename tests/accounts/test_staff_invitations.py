"""A staff member enrols an authenticator only through the invitation a privacy admin sends."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.models import StaffInvitation
from accounts.roles import Role
from dsr.core.errors import RequestError
from tests.factories import PASSWORD, UserFactory, make_officer
from tests.helpers import login_with_password, login_with_totp, totp_code

pytestmark = pytest.mark.django_db


def invite(officer, outbox, *, by=None) -> str:
    """Issue an invitation as the admin does and return the path of the e-mailed link."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitations.issue(user=officer, issued_by=by)
    message = outbox.last_to(officer.email)
    link = next(url for url in outbox.links(message) if "/staff-invitation/" in url)
    return re.sub(r"^https?://[^/]+", "", link)


def enrol(client):
    """Reach allauth's TOTP page and activate an authenticator; returns the response."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.content[:300]
    secret = page.context["form"].secret
    return client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})


def test_the_password_alone_does_not_reach_the_authenticator_setup(client):
    officer, _ = make_officer(with_totp=False)
    login_with_password(client, officer.email, PASSWORD)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 403
    assert "invitation" in page.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    assert response.status_code == 403
    assert client.get(reverse("mfa_add_webauthn")).status_code == 403
    assert not Authenticator.objects.filter(user=officer).exists()
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_a_valid_invitation_opens_the_setup_once(client, outbox):
    officer, _ = make_officer(with_totp=False)
    path = invite(officer, outbox)
    assert "two-factor" in outbox.last_to(officer.email).subject
    # Opened signed out: the login comes first, then the link again.
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(response["Location"], {"login": officer.email, "password": PASSWORD})
    assert response["Location"] == path
    response = client.get(path)
    assert response["Location"] == reverse("mfa_activate_totp")
    assert enrol(client).status_code == 302
    assert Authenticator.objects.filter(user=officer, type="totp").exists()
    assert StaffInvitation.objects.get(user=officer).used_at is not None
    assert client.get(reverse("staff:dashboard")).status_code == 200

    # Used up: neither the link nor the session opens the setup again.
    Authenticator.objects.filter(user=officer).delete()
    assert client.get(path).status_code == 403
    assert client.get(reverse("mfa_activate_totp")).status_code == 403


@pytest.fixture
def long_sessions(settings):
    """Sessions outlive the invitation here (staff sessions end sooner by default)."""
    settings.DSR_STAFF_IDLE_MINUTES = 100 * 60
    settings.DSR_STAFF_SESSION_HOURS = 100


def test_an_expired_invitation_is_refused(client, outbox, settings, long_sessions):
    settings.DSR_STAFF_INVITE_HOURS = 48
    officer, _ = make_officer(with_totp=False)
    path = invite(officer, outbox)
    login_with_password(client, officer.email, PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(hours=48, minutes=1)):
        page = client.get(path)
        assert page.status_code == 403
        assert "not valid" in page.content.decode()
        assert client.get(reverse("mfa_activate_totp")).status_code == 403


def test_an_invitation_that_expires_after_it_was_opened_no_longer_opens_the_setup(
    client, outbox, long_sessions
):
    officer, _ = make_officer(with_totp=False)
    path = invite(officer, outbox)
    login_with_password(client, officer.email, PASSWORD)
    assert client.get(path).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert client.get(reverse("mfa_activate_totp")).status_code == 403


def test_a_forged_or_altered_invitation_is_refused(client, outbox):
    officer, _ = make_officer(with_totp=False)
    invitation_path = invite(officer, outbox)
    invitation = StaffInvitation.objects.get(user=officer)
    login_with_password(client, officer.email, PASSWORD)
    forged = signing.dumps({"i": invitation.pk, "u": officer.pk}, salt="another salt")
    for path in (
        reverse("accounts_staff_invitation", args=[forged]),
        invitation_path.rstrip("/") + "x/",
        reverse("accounts_staff_invitation", args=["nonsense"]),
    ):
        assert client.get(path).status_code == 403, path
    assert client.get(reverse("mfa_activate_totp")).status_code == 403


def test_another_users_invitation_is_refused(client, outbox):
    officer, _ = make_officer(with_totp=False)
    other, _ = make_officer(email="other@example.org", with_totp=False)
    path = invite(officer, outbox)
    login_with_password(client, other.email, PASSWORD)
    assert client.get(path).status_code == 403
    assert client.get(reverse("mfa_activate_totp")).status_code == 403
    assert StaffInvitation.objects.get(user=officer).used_at is None


def test_a_new_invitation_revokes_the_older_one(client, outbox):
    officer, _ = make_officer(with_totp=False)
    first = invite(officer, outbox)
    second = invite(officer, outbox)
    login_with_password(client, officer.email, PASSWORD)
    assert client.get(first).status_code == 403
    assert client.get(second)["Location"] == reverse("mfa_activate_totp")


def test_an_invitation_opened_before_a_newer_one_was_issued_no_longer_opens_the_setup(
    client, outbox
):
    officer, _ = make_officer(with_totp=False)
    path = invite(officer, outbox)
    login_with_password(client, officer.email, PASSWORD)
    assert client.get(path).status_code == 302
    invite(officer, outbox)
    assert client.get(reverse("mfa_activate_totp")).status_code == 403


def test_removing_the_role_revokes_the_invitation(client, outbox):
    officer, _ = make_officer(with_totp=False)
    path = invite(officer, outbox)
    officer.groups.clear()
    assert StaffInvitation.objects.get(user=officer).revoked_at is not None
    officer.groups.add(*make_officer(email="x@example.org", with_totp=False)[0].groups.all())
    login_with_password(client, officer.email, PASSWORD)
    assert client.get(path).status_code == 403


def test_invitations_go_only_to_staff_with_a_confirmed_address(outbox):
    subject = UserFactory(email="subject@example.org")
    with pytest.raises(RequestError, match="no staff role"):
        invitations.issue(user=subject)
    officer, _ = make_officer(with_totp=False)
    EmailAddress.objects.filter(user=officer).update(verified=False)
    with pytest.raises(RequestError, match="not confirmed"):
        invitations.issue(user=officer)
    assert not outbox.messages


def test_a_privacy_admin_sends_the_invitation_from_the_list_of_staff(client, outbox):
    admin_user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    officer, _ = make_officer(with_totp=False)
    UserFactory(email="subject@example.org")
    login_with_totp(client, admin_user.email, PASSWORD, secret)
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "officer@example.org" in listing
    assert "subject@example.org" not in listing  # data subjects' accounts are not theirs to see
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_staff_invitation", "_selected_action": [officer.pk]},
            follow=True,
        )
    assert "Invitation sent to officer@example.org" in response.content.decode()
    invitation = StaffInvitation.objects.get(user=officer)
    assert invitation.issued_by == admin_user
    assert "/staff-invitation/" in outbox.last_to(officer.email).body
    # Seeing the staff accounts is not changing them (roles stay with whoever manages users).
    change = reverse("admin:accounts_user_change", args=[officer.pk])
    assert client.post(change, {"email": "x@example.org"}).status_code == 403


def test_the_operator_sends_the_first_invitation_from_the_command_line(outbox, capsys):
    officer, _ = make_officer(email="admin@example.org", role=Role.ADMIN, with_totp=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("dsr_staff_invite", "Admin@example.org")
    assert "Invitation sent to admin@example.org" in capsys.readouterr().out
    assert "/staff-invitation/" in outbox.last_to(officer.email).body
    with pytest.raises(CommandError):
        call_command("dsr_staff_invite", "nobody@example.org")


def test_the_invitation_email_is_in_the_officers_language(outbox):
    officer, _ = make_officer(with_totp=False)
    officer.language = "de"
    officer.save()
    invite(officer, outbox)
    message = outbox.last_to(officer.email)
    assert "Zwei-Faktor" in message.subject


def test_the_first_admin_confirms_the_address_then_enrols_through_the_command(client, outbox):
    from accounts.models import User

    root = User.objects.create_superuser("root@example.org", PASSWORD)
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("dsr_staff_invite", "root@example.org")
    # Signing in once sends allauth's confirmation (ACCOUNT_EMAIL_VERIFICATION = mandatory).
    client.post(reverse("account_login"), {"login": root.email, "password": PASSWORD})
    confirm = next(
        url for url in outbox.links(outbox.last_to(root.email)) if "/confirm-email/" in url
    )
    client.post(re.sub(r"^https?://[^/]+", "", confirm))
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("dsr_staff_invite", "root@example.org")
    link = next(u for u in outbox.links(outbox.last_to(root.email)) if "/staff-invitation/" in u)
    login_with_password(client, root.email, PASSWORD)
    assert client.get(re.sub(r"^https?://[^/]+", "", link)).status_code == 302
    assert enrol(client).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
