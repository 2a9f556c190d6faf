"""Status links: they expire after the request closed, never reach the log, and a link alone
neither floods the requester's mailbox with codes nor locks the requester out."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from dsr.core.tokens import status_token
from dsr.services import verification, withdrawal
from tests.factories import UserFactory, submit
from tests.helpers import code_in, path_of

pytestmark = pytest.mark.django_db(transaction=True)


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.answer_email)))
    item.refresh_from_db()
    return item


def link_of(item):
    return f"/r/{status_token(item)}/"


def code_mails(outbox, email="erika@example.org"):
    return [m for m in outbox.to(email) if "code to open request" in m.subject]


# --- expiry -------------------------------------------------------------------------------


def test_a_link_stops_working_some_days_after_the_request_closed(client, outbox, settings):
    settings.DSR_STATUS_LINK_DAYS = 30
    item = verified(outbox)
    link = link_of(item)
    withdrawal.withdraw(item)
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert client.get(link).status_code == 200  # the unlock page: still working
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        page = client.get(link, headers={"accept-language": "de"})
        assert page.status_code == 410
        text = page.content.decode()
        assert "Dieser Statuslink ist abgelaufen" in text
        assert "30 Tage" in text
        assert item.reference not in text
        # Nor can it be used to have codes sent, or to download.
        client.post(link, {"send": "1"})
        assert code_mails(outbox) == []


def test_a_link_of_an_open_request_does_not_expire(client, outbox, settings):
    settings.DSR_STATUS_LINK_DAYS = 30
    item = verified(outbox)
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert client.get(link_of(item)).status_code == 200


def test_the_signed_in_account_holder_still_opens_an_expired_link(client, outbox, settings):
    settings.DSR_STATUS_LINK_DAYS = 30
    owner = UserFactory(email="erika@example.org")
    item = submit(account=owner)
    withdrawal.withdraw(item)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        client.force_login(owner)
        assert item.reference in client.get(link_of(item)).content.decode()


# --- never logged --------------------------------------------------------------------------


def test_an_unknown_or_gone_status_path_is_logged_without_its_token(client, outbox, caplog):
    item = verified(outbox)
    token = status_token(item)
    with caplog.at_level(logging.INFO):
        assert client.get(f"/r/{token}x/").status_code == 404  # forged: Not Found
        assert client.get(f"/r/{token}/nothing-here/").status_code == 404  # no such route
        assert client.get(f"/r/verify/{token}/").status_code == 200
        assert client.post(f"/r/verify/{token}/").status_code == 410  # Gone
        assert client.post(f"/r/open/{token}/").status_code == 410
    assert "Not Found: /r/[…]/" in caplog.text
    assert "Gone: /r/verify/[…]/" in caplog.text
    assert token not in caplog.text
    assert token[:20] not in caplog.text


def test_a_server_error_on_a_status_page_is_logged_without_its_token(outbox, caplog, monkeypatch):
    item = verified(outbox)
    token = status_token(item)

    def broken(_token):
        raise RuntimeError("database gone")

    monkeypatch.setattr("dsr.views.status.request_from_status_token", broken)
    browser = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        assert browser.get(f"/r/{token}/").status_code == 500
    assert "Internal Server Error: /r/[…]/" in caplog.text
    assert "database gone" in caplog.text  # the traceback is still there
    assert token not in caplog.text


def test_a_refused_post_is_logged_without_its_token(outbox, caplog):
    item = verified(outbox)
    token = status_token(item)
    browser = Client(enforce_csrf_checks=True)  # e.g. the session ran out meanwhile
    with caplog.at_level(logging.WARNING):
        assert browser.post(f"/r/{token}/", {"send": "1"}).status_code == 403
    assert "Forbidden (CSRF cookie not set.): /r/[…]/" in caplog.text
    assert token not in caplog.text


def test_the_development_server_log_does_not_show_the_token(caplog):
    with caplog.at_level(logging.INFO, logger="django.server"):
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /de/r/eyJyIjo3fQ:1vQx:AbC-d_e/download/3/ HTTP/1.1", "200", "9"
        )
    assert '"GET /de/r/[…]/download/3/ HTTP/1.1" 200 9' in caplog.text


# --- codes per request -----------------------------------------------------------------------


def test_a_link_alone_gets_only_a_few_codes_e_mailed_per_request(outbox, settings):
    settings.DSR_VERIFICATION_RESEND_SECONDS = 0
    settings.DSR_RATE_STATUS_CODES_PER_REQUEST = "3/86400"
    item = verified(outbox)
    link = link_of(item)
    pages = []
    for n in range(5):  # new browsers, new addresses: nothing else holds them back
        browser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        pages.append(browser.post(link, {"send": "1"}, follow=True).content.decode())
    assert len(code_mails(outbox)) == 3
    assert "We have sent several codes for this request already" in pages[-1]


def test_wrong_guesses_with_the_link_alone_do_not_lock_the_requester_out(outbox, settings):
    settings.DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS = 3
    item = verified(outbox)
    link = link_of(item)
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    attacker.post(link, {"send": "1"})
    for _ in range(4):
        page = attacker.post(link, {"code": "000000"}).content.decode()
    assert "Too many wrong codes" in page
    real_code = code_in(code_mails(outbox)[-1])
    assert "Too many wrong codes" in attacker.post(link, {"code": real_code}).content.decode()

    requester = Client()
    settings.DSR_VERIFICATION_RESEND_SECONDS = 0
    requester.post(link, {"send": "1"})
    mail = code_mails(outbox)[-1]
    open_link = path_of(next(u for u in outbox.links(mail) if "/r/open/" in u))
    assert requester.get(open_link).status_code == 200  # a button: mail scanners only look
    assert item.reference not in requester.get(link).content.decode()
    response = requester.post(open_link)
    assert response.status_code == 302
    assert item.reference in requester.get(response["Location"]).content.decode()
    assert requester.post(open_link).status_code == 410  # once
