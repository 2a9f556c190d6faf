"""Every staff page needs an officer role and MFA; data subjects never get in."""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory, make_officer
from tests.helpers import login_with_password, login_with_totp

pytestmark = pytest.mark.django_db

STAFF_URLS = ["staff:dashboard", "staff:outbox"]


@pytest.mark.parametrize("name", STAFF_URLS)
def test_anonymous_visitors_are_sent_to_the_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", STAFF_URLS)
def test_an_officer_without_mfa_is_sent_to_set_it_up(client, name):
    officer, _ = make_officer(with_totp=False)
    login_with_password(client, officer.email, PASSWORD)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"], follow=True)  # allauth asks for the password again
    assert "Staff pages need two-factor authentication" in page.content.decode()


def test_an_officer_logging_in_with_totp_reaches_the_staff_pages(client):
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    for name in STAFF_URLS:
        assert client.get(reverse(name)).status_code == 200


def test_a_password_alone_does_not_log_an_officer_with_mfa_in(client):
    officer, _ = make_officer()
    response = client.post(reverse("account_login"), {"login": officer.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_wrong_totp_code_is_refused(client):
    officer, _ = make_officer()
    client.post(reverse("account_login"), {"login": officer.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get(reverse("staff:dashboard")).status_code == 302


@pytest.mark.parametrize("name", STAFF_URLS)
def test_a_data_subject_account_cannot_reach_staff_pages(client, name):
    subject = UserFactory(email="subject@example.org")
    client.force_login(subject)
    assert client.get(reverse(name)).status_code == 403


def test_totp_secrets_are_encrypted_in_the_database(client):
    officer, secret = make_officer()
    stored = Authenticator.objects.get(user=officer, type="totp").data["secret"]
    assert secret not in stored
    login_with_totp(client, officer.email, PASSWORD, secret)  # and still usable


def test_the_admin_is_behind_the_same_gate(client):
    admin_user, _ = make_officer(email="admin@example.org", role=Role.ADMIN, with_totp=False)
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"] == reverse("mfa_activate_totp")


def test_a_privacy_admin_with_totp_edits_the_controller(client):
    from dsr.core.controller import get_controller

    controller = get_controller()
    admin_user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin_user.email, PASSWORD, secret)
    url = reverse("admin:dsr_controller_change", args=[controller.pk])
    assert client.get(url).status_code == 200


def test_an_officer_cannot_use_the_admin(client):
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    response = client.get(reverse("admin:index"))
    assert response.status_code in (302, 403)
    assert client.get(reverse("admin:dsr_controller_changelist")).status_code != 200


def _code_step(client, officer, code):
    client.post(reverse("account_login"), {"login": officer.email, "password": PASSWORD})
    return client.post(reverse("mfa_authenticate"), {"code": code})


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_code_one_step_off_still_logs_in_two_steps_off_does_not(client, offset):
    from tests.helpers import totp_code

    officer, secret = make_officer()
    # Under load the answer can come a period late; a phone's clock can run a little ahead.
    response = _code_step(client, officer, totp_code(secret, offset=offset))
    assert response.status_code == 302, response.content[:300]
    assert client.get(reverse("staff:dashboard")).status_code == 200
    client.logout()
    refused = _code_step(client, officer, totp_code(secret, offset=2 * offset))
    assert "Incorrect code" in refused.content.decode()


def test_a_used_code_is_refused_for_as_long_as_it_would_be_accepted(client):
    import time_machine
    from allauth.mfa import app_settings

    from accounts.forms import valid_seconds
    from tests.helpers import totp_code

    assert valid_seconds() == 3 * app_settings.TOTP_PERIOD
    officer, secret = make_officer()
    start = (int(time.time()) // 30 + 1) * 30 + 1.0  # the start of a period, to be exact
    with time_machine.travel(start, tick=False):
        code = totp_code(secret)
        assert _code_step(client, officer, code).status_code == 302
        client.logout()
    # A period later allauth has forgotten the code, which is still within the tolerance.
    with time_machine.travel(start + 31, tick=False):
        refused = _code_step(client, officer, code)
        assert "Incorrect code" in refused.content.decode()
        assert client.get(reverse("staff:dashboard")).status_code == 302
