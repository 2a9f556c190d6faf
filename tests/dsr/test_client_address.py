"""Behind trusted proxies the limits count the real client, and only what deserves counting."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from dsr.core.ratelimit import client_ip
from dsr.models import SubjectRequest
from dsr.rights import Right
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "10.0.0.2"  # every request reaches the portal from the TLS proxy


def behind_proxy(client, forwarded_for):
    client.defaults.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return client


def file_request(client, email, **fields):
    return client.post(
        reverse("dsr:intake", args=[Right.ACCESS.value]),
        {"requester": "myself", "email": email, "scope": "", **fields},
    )


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "counted_as"),
    [
        (0, "198.51.100.1", PROXY),  # no proxy trusted: the header is the client's own text
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left one the client wrote
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (1, "203.0.113.7:51234", "203.0.113.7"),
        (1, "[2001:db8:1:2::5]:443", "2001:db8:1:2::/64"),
        (1, "", PROXY),
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_wrote(
    settings, proxies, forwarded_for, counted_as
):
    settings.DSR_TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}
    assert client_ip(meta) == counted_as


def test_two_clients_behind_the_proxy_are_limited_separately(client, settings):
    settings.DSR_TRUSTED_PROXIES = 1
    settings.DSR_RATE_INTAKE_PER_IP = "2/3600"
    first = behind_proxy(client.__class__(), "203.0.113.7")
    second = behind_proxy(client.__class__(), "198.51.100.4")
    codes = [file_request(first, f"a{i}@example.org").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert file_request(second, "b@example.org").status_code == 302


def test_a_spoofed_left_most_entry_does_not_evade_the_limit(client, settings):
    settings.DSR_TRUSTED_PROXIES = 1
    settings.DSR_RATE_INTAKE_PER_IP = "2/3600"
    codes = [
        file_request(
            behind_proxy(client.__class__(), f"192.0.2.{i}, 203.0.113.7"), f"a{i}@example.org"
        ).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_invalid_posts_do_not_use_up_the_filing_allowance(client, settings):
    settings.DSR_RATE_INTAKE_PER_IP = "2/3600"
    settings.DSR_RATE_INTAKE_INVALID_PER_IP = "5/3600"
    for _ in range(4):
        assert file_request(client, "not an address").status_code == 200  # errors shown
    assert file_request(client, "a@example.org").status_code == 302
    assert file_request(client, "b@example.org").status_code == 302
    assert SubjectRequest.objects.count() == 2


def test_invalid_posts_have_their_own_limit(client, settings):
    settings.DSR_RATE_INTAKE_INVALID_PER_IP = "3/3600"
    codes = [file_request(client, "not an address").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert file_request(client, "a@example.org").status_code == 302


def test_allauth_counts_the_client_behind_the_proxy(settings):
    from allauth.account.adapter import get_adapter

    settings.DSR_TRUSTED_PROXIES = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.7"
    )
    assert get_adapter(request).get_client_ip(request) == "203.0.113.7"


def test_failed_logins_of_one_client_do_not_lock_out_another(client, settings):
    settings.DSR_TRUSTED_PROXIES = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    UserFactory(email="officer@example.org")
    attacker = behind_proxy(client.__class__(), "203.0.113.7")
    for i in range(3):
        attacker.post(reverse("account_login"), {"login": f"x{i}@example.org", "password": "no"})
    refused = attacker.post(reverse("account_login"), {"login": "y@example.org", "password": "no"})
    assert "Too many failed login attempts" in refused.content.decode()
    officer = behind_proxy(client.__class__(), "198.51.100.4")
    response = officer.post(
        reverse("account_login"), {"login": "officer@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
