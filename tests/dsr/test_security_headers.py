"""Every response carries the Content-Security-Policy; every page that may show personal data
says ``Cache-Control: no-store`` (issue 16, item 6 and "Also")."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from dsr.core.tokens import status_token
from dsr.models import SubjectRequest
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_policy_allows_no_inline_script_or_style_and_no_framing(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    # On every response, also an error page.
    assert client.get("/no-such-page/")["Content-Security-Policy"] == policy


def test_public_pages_without_personal_data_may_be_cached(client):
    for url in (reverse("home"), reverse("dsr:start"), reverse("dsr:intake", args=["access"])):
        response = client.get(url)
        assert response.status_code == 200
        assert not no_store(response), url


def test_a_form_that_comes_back_with_what_was_typed_is_not_stored(client):
    response = client.post(
        reverse("dsr:intake", args=["access"]),
        {"requester": "myself", "email": "not-an-address", "name": "Erika Mustermann"},
    )
    assert response.status_code == 200
    assert "Erika Mustermann" in response.content.decode()
    assert no_store(response)


def test_the_requesters_pages_are_not_stored(client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dsr:intake", args=["access"]),
            {"requester": "myself", "email": "erika@example.org"},
        )
    sent = client.get(reverse("dsr:sent"))
    assert no_store(sent)
    verified = client.post(
        reverse("dsr:sent"), {"code": code_in(outbox.last_to("erika@example.org"))}
    )
    assert no_store(verified)
    status = client.get(verified["Location"])
    assert status.status_code == 200
    assert SubjectRequest.objects.get().reference in status.content.decode()
    assert no_store(status)


def test_a_download_is_not_stored(client, outbox):
    item = submit()
    token = status_token(item)
    session = client.session
    session["dsr_status_access"] = {str(item.pk): 9e12}
    session.save()
    response = client.get(reverse("dsr:status", args=[token]))
    assert response.status_code == 200
    assert no_store(response)
    # A package not released yet: the answer says so, and is not stored either.
    gone = client.get(reverse("dsr:download", args=[token, 1]))
    assert no_store(gone)


def test_the_staff_pages_the_admin_and_the_account_pages_are_not_stored(client, outbox):
    officer, secret = make_officer(role=Role.ADMIN)
    item = submit(email="erika@example.org", name="Erika Mustermann")
    login_with_totp(client, officer.email, PASSWORD, secret)
    for url in (
        reverse("staff:dashboard"),
        reverse("staff:cases"),
        reverse("staff:case", args=[item.reference]),
        reverse("staff:outbox"),
        reverse("staff:stats"),
        "/admin/",
        "/admin/dsr/controller/",
        reverse("account_email"),
        reverse("mfa_index"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url


def test_a_requesters_account_pages_are_not_stored(client):
    user = UserFactory(email="erika@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    for url in (reverse("dsr:my_requests"), reverse("account_email"), reverse("account_login")):
        response = client.get(url)
        assert no_store(response), url


def test_static_files_keep_their_caching():
    # The middleware runs after WhiteNoise, which answers for static files before it.
    order = settings.MIDDLEWARE
    assert order.index("dsr.middleware.SecurityHeadersMiddleware") > order.index(
        "whitenoise.middleware.WhiteNoiseMiddleware"
    )
