"""Staff sessions end when idle or too old, "remember me" or not; data subjects' do not."""

import time

import pytest
import time_machine
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, make_officer
from tests.helpers import fresh_totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.DSR_STAFF_IDLE_MINUTES = 30
    settings.DSR_STAFF_SESSION_HOURS = 10


def officer_client(client, *, remember: bool = False):
    officer, secret = make_officer()
    response = client.post(
        reverse("account_login"),
        {"login": officer.email, "password": PASSWORD, "remember": "on" if remember else ""},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": fresh_totp_code(secret)})
    assert response.status_code == 302
    return officer


def signed_out(client, response) -> bool:
    if response.status_code != 302 or not response["Location"].startswith(reverse("account_login")):
        return False
    return "_auth_user_id" not in client.session


def test_an_idle_staff_session_ends_with_a_message_on_the_login_page(client, limits):
    officer_client(client)
    now = time.time()
    with time_machine.travel(now + 29 * 60, tick=False):
        assert client.get(reverse("staff:dashboard")).status_code == 200
    # 29 minutes after that last page: still in.
    with time_machine.travel(now + 58 * 60, tick=False):
        assert client.get(reverse("staff:dashboard")).status_code == 200
    with time_machine.travel(now + 89 * 60, tick=False):
        response = client.get(reverse("staff:dashboard"))
        assert signed_out(client, response)
        page = client.get(response["Location"])
        assert "signed out after 30 minutes without activity" in page.content.decode()
        assert client.get(reverse("staff:dashboard")).status_code == 302


def test_the_idle_message_is_translated(client, limits):
    officer_client(client)
    client.cookies["django_language"] = "de"
    with time_machine.travel(time.time() + 31 * 60, tick=False):
        response = client.get(reverse("staff:dashboard"), headers={"accept-language": "de"})
        page = client.get(response["Location"], headers={"accept-language": "de"})
        assert "30 Minuten" in page.content.decode()


def test_a_busy_staff_session_still_ends_after_the_longest_time(client, limits):
    officer_client(client, remember=True)
    start = time.time()
    for minutes in range(20, 10 * 60, 20):  # a page every 20 minutes, all day long
        with time_machine.travel(start + minutes * 60, tick=False):
            assert client.get(reverse("staff:dashboard")).status_code == 200, minutes
    with time_machine.travel(start + 10 * 3600 + 60, tick=False):
        response = client.get(reverse("staff:dashboard"))
        assert signed_out(client, response)
        page = client.get(response["Location"])
        assert "Staff sessions last at most 10 hours" in page.content.decode()


def test_remember_me_does_not_make_a_staff_cookie_outlive_the_limits(client, limits):
    officer_client(client, remember=True)
    response = client.get(reverse("staff:dashboard"))
    assert response.status_code == 200
    # The cookie as the browser keeps it (set when the limits were first applied; a later page
    # that changes nothing does not send it again).
    cookie = client.cookies["sessionid"]
    assert 0 < int(cookie["max-age"]) <= 11 * 3600  # the longest session and the grace hour
    assert client.session.get_expiry_age() <= 11 * 3600


def test_the_login_itself_does_not_set_a_long_staff_cookie(client, limits):
    officer, _ = make_officer(with_totp=False)
    response = client.post(
        reverse("account_login"), {"login": officer.email, "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert int(response.cookies["sessionid"]["max-age"]) <= 11 * 3600


def test_a_page_that_refreshes_itself_does_not_keep_a_staff_session_alive(client, limits):
    officer_client(client)
    start = time.time()
    for minutes in (10, 20, 30):
        with time_machine.travel(start + minutes * 60, tick=False):
            client.get(reverse("staff:outbox"), headers={"HX-Request": "true"})
    with time_machine.travel(start + 31 * 60, tick=False):
        assert signed_out(client, client.get(reverse("staff:dashboard")))


def test_a_data_subjects_remembered_session_keeps_its_usual_length(client, limits):
    subject = UserFactory(email="subject@example.org")
    response = client.post(
        reverse("account_login"), {"login": subject.email, "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert client.session.get_expiry_age() > 13 * 24 * 3600
    with time_machine.travel(time.time() + 11 * 3600, tick=False):
        response = client.get(reverse("dsr:my_requests"))
        assert response.status_code == 200
        assert client.session["_auth_user_id"] == str(subject.pk)


def test_the_default_limits(settings):
    from dsr import settings as product

    assert product.DSR_STAFF_IDLE_MINUTES == 30
    assert product.DSR_STAFF_SESSION_HOURS == 10
