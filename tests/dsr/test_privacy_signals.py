"""Objection by automated means (GPC, Art. 21(5)) and the one-click link in marketing e-mails."""

import csv
import io
import sqlite3
import threading
import time

import pytest
from django.core import signing
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.template import engines
from django.test import Client
from django.urls import reverse

from accounts.models import User
from connectors import registry
from dsr.core.marketing_links import objection_url, with_objection_headers
from dsr.core.tokens import MARKETING_SALT, address_from_marketing_token
from dsr.demo import load_full_demo
from dsr.demo_systems import DEMO_SUBJECT
from dsr.models import (
    JobStatus,
    PrivacySignal,
    SignalIdentifier,
    SignalSource,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.services.completion import complete
from dsr.services.intake import AgentDetails
from dsr.services.marketing_objection import take_signal
from dsr.views.access import SESSION_KEY as STATUS_SESSION_KEY
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of

pytestmark = pytest.mark.django_db

GPC = {"HTTP_SEC_GPC": "1"}


def marketing_objections(email: str):
    return SubjectRequest.objects.filter(
        email=email,
        requested_rights__right="objection",
        requested_rights__details__kind="direct_marketing",
    )


def test_gpc_json_says_the_portal_honours_the_signal(client):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"gpc": True, "lastUpdate": "2026-12-03"}


@pytest.fixture
def demo_home(settings, tmp_path):
    """The demo's systems under this test's folder, and the registry pointed at them."""
    settings.VAR_DIR = tmp_path
    settings.DSR_CONNECTORS_FILE = str(tmp_path / "demo" / "connectors.yaml")
    registry.reset()
    yield tmp_path
    registry.reset()


def crm_marketing_opt_out(home, email: str) -> bool:
    with sqlite3.connect(home / "demo" / "crm.sqlite3") as db:
        (value,) = db.execute(
            "SELECT marketing_opt_out FROM contacts WHERE email = ?", [email]
        ).fetchone()
    return bool(value)


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_persons_gpc_signal_objects_and_marketing_stops_in_the_demo_crm(
    demo_home, outbox
):
    load_full_demo()
    assert not crm_marketing_opt_out(demo_home, DEMO_SUBJECT)
    erika = User.objects.get(pk=UserFactory(email=DEMO_SUBJECT, language="de").pk)
    browser = Client()
    browser.force_login(erika)

    assert browser.get(reverse("home"), **GPC).status_code == 200

    item = marketing_objections(DEMO_SUBJECT).get()
    assert item.account == erika
    assert item.verification_method == VerificationMethod.ACCOUNT
    assert item.language == "de"
    signal = PrivacySignal.objects.get()
    assert (signal.request, signal.source, signal.identified_by) == (
        item,
        SignalSource.GPC,
        SignalIdentifier.ACCOUNT,
    )
    assert signal.opened_request
    assert signal.account == erika
    assert signal.user_agent_hash == ""  # the test client sends none
    # Carried out in the systems at once, no approval: the CRM's flag says no advertising.
    crm = item.jobs.get(system="crm", action="object")
    assert crm.status == JobStatus.SUCCEEDED
    assert crm.result["changed"] == 1
    assert crm_marketing_opt_out(demo_home, DEMO_SUBJECT)
    # She is told, in her language, that her browser's signal was taken as an objection.
    told = outbox.to(DEMO_SUBJECT)[0]
    assert "Widerspruch gegen Direktwerbung" in told.subject
    assert "Global Privacy Control" in told.body
    assert "Art. 21 Abs. 5 DSGVO" in told.body
    complete(SubjectRequest.objects.get(pk=item.pk), officer=make_officer()[0])
    letter = " ".join(outbox.last_to(DEMO_SUBJECT).body.split())
    assert item.reference in letter


def test_a_second_signal_is_recorded_and_opens_no_second_objection(
    client, shop, outbox, django_capture_on_commit_callbacks
):
    person = UserFactory(email="erika@example.org")
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("home"), HTTP_USER_AGENT="Firefox", **GPC)
        client.get(reverse("dsr:start"), **GPC)  # the same visit: one signal
    item = marketing_objections(person.email).get()
    assert item.status == Status.IN_REVIEW  # the systems answered; the officer closes it
    assert PrivacySignal.objects.count() == 1
    assert len(outbox.to(person.email)) == 1

    client.logout()
    client.force_login(person)  # the next visit sends it again
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("home"), HTTP_USER_AGENT="Chrome", **GPC)
    assert marketing_objections(person.email).count() == 1
    first, second = PrivacySignal.objects.all()
    assert second.request == item
    assert not second.opened_request
    assert first.user_agent_hash
    assert first.user_agent_hash != second.user_agent_hash
    assert "Chrome" not in second.user_agent_hash
    assert len(outbox.to(person.email)) == 1  # nothing new to tell

    # The officer sees each signal on the case.
    officer, secret = make_officer()
    client.logout()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert page.count("Global Privacy Control signal sent by the browser") == 2
    assert "opened this request" in page

    # Done is done, too: after completion a signal still opens nothing.
    complete(SubjectRequest.objects.get(pk=item.pk), officer=officer)
    client.logout()
    client.force_login(person)
    client.get(reverse("home"), **GPC)
    assert marketing_objections(person.email).count() == 1
    assert PrivacySignal.objects.count() == 3


def test_an_objection_filed_with_the_form_counts_as_the_persons_objection(
    client, shop, outbox, django_capture_on_commit_callbacks
):
    person = UserFactory(email="erika@example.org")
    earlier = submit(
        email=person.email,
        right="objection",
        details={"kind": "direct_marketing"},
        account=person,
    )
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("home"), **GPC)
    assert marketing_objections(person.email).get() == earlier
    assert PrivacySignal.objects.get().request == earlier


def test_without_the_signal_or_a_recognised_person_nothing_is_recorded(client, shop):
    person = UserFactory(email="erika@example.org")
    client.get(reverse("home"), **GPC)  # nobody we know
    client.force_login(person)
    client.get(reverse("home"))  # no signal
    client.get(reverse("home"), HTTP_SEC_GPC="0")
    assert not PrivacySignal.objects.exists()
    assert not SubjectRequest.objects.exists()


def test_an_officers_browser_objects_for_nobody(client, shop):
    officer, _secret = make_officer()
    client.force_login(officer)
    client.get(reverse("home"), **GPC)
    assert not PrivacySignal.objects.exists()
    assert not SubjectRequest.objects.exists()


def test_a_visitor_who_opened_their_status_page_with_a_code_is_recognised(
    client, shop, outbox, django_capture_on_commit_callbacks
):
    submit(email="jan@example.nl", language="nl")
    status_url = next(
        u
        for u in outbox.links(outbox.last_to("jan@example.nl"))
        if "/r/verify/" not in u and "/r/" in u
    )
    status_page = path_of(status_url)
    # Without the code the link alone recognises nobody.
    client.get(status_page, **GPC)
    assert not PrivacySignal.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(status_page, {"send": "1"})
    client.post(status_page, {"code": code_in(outbox.last_to("jan@example.nl"))})

    with django_capture_on_commit_callbacks(execute=True):
        client.get(status_page, HTTP_ACCEPT_LANGUAGE="nl", **GPC)
    item = marketing_objections("jan@example.nl").get()
    assert item.account is None
    assert item.verification_method == VerificationMethod.EMAIL_CODE
    assert item.language == "nl"
    assert PrivacySignal.objects.get().identified_by == SignalIdentifier.STATUS_ACCESS
    told = outbox.last_to("jan@example.nl")
    assert "Global Privacy Control" in told.body
    assert "art. 21, lid 5, AVG" in told.body


def test_an_agents_status_page_objects_for_nobody(
    client, shop, outbox, django_capture_on_commit_callbacks
):
    agent = AgentDetails(name="Anwalt", email="kanzlei@example.de", authority="power_of_attorney")
    item = submit(email="erika@example.org", agent=agent)
    session = client.session
    session[STATUS_SESSION_KEY] = {str(item.pk): time.time() + 3600}
    session.save()
    client.get(reverse("home"), **GPC)
    assert not PrivacySignal.objects.exists()
    assert not marketing_objections("erika@example.org").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_signals_of_one_person_at_the_same_moment_open_one_objection(shop, outbox):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks need PostgreSQL")
    start = threading.Barrier(3)

    def signal() -> None:
        start.wait()
        try:
            take_signal(
                source=SignalSource.ONE_CLICK,
                identified_by=SignalIdentifier.MARKETING_LINK,
                email="erika@example.org",
                language="en",
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=signal) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert marketing_objections("erika@example.org").count() == 1
    assert PrivacySignal.objects.count() == 3
    assert PrivacySignal.objects.filter(opened_request=True).count() == 1


def test_the_one_click_link_objects_without_login(shop, outbox, django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    url = path_of(objection_url("Erika@Example.org", "de"))

    page = browser.get(url)  # a link scanner's GET objects to nothing
    assert page.status_code == 200
    assert "e…@example.org" in page.content.decode()
    assert not SubjectRequest.objects.exists()

    token = page.context["csrf_token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(url, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    item = marketing_objections("erika@example.org").get()
    assert item.verification_method == VerificationMethod.MARKETING_LINK
    assert item.language == "de"
    assert item.jobs.get(action="object").status == JobStatus.SUCCEEDED
    signal = PrivacySignal.objects.get()
    assert (signal.source, signal.identified_by) == (
        SignalSource.ONE_CLICK,
        SignalIdentifier.MARKETING_LINK,
    )
    assert item.reference in browser.get(url).content.decode()
    assert len(outbox.to("erika@example.org")) == 1


def test_a_mail_programs_one_click_post_objects(shop, django_capture_on_commit_callbacks):
    # RFC 8058: no cookies, no CSRF token, just this body.
    mail_program = Client(enforce_csrf_checks=True)
    url = path_of(objection_url("erika@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        response = mail_program.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 204
    assert marketing_objections("erika@example.org").get().jobs.exists()
    mail_program.post(url, {"List-Unsubscribe": "One-Click"})  # the program retries
    assert marketing_objections("erika@example.org").count() == 1
    assert PrivacySignal.objects.count() == 2


def test_a_form_post_without_its_csrf_token_does_nothing(shop):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(path_of(objection_url("erika@example.org")), {})
    assert response.status_code == 403
    assert not SubjectRequest.objects.exists()


def test_a_forged_or_altered_link_shows_a_translated_error_and_does_nothing(client, shop):
    genuine = objection_url("erika@example.org").rstrip("/").rsplit("/", 1)[1]
    altered = genuine[:-3] + ("AAA" if genuine[-3:] != "AAA" else "BBB")
    forged = [
        altered,
        genuine.split(":")[0] + ":forged-signature",
        # Signed, but not by us (another key), and with a plain address in it.
        signing.dumps({"a": "mallory@example.org", "l": "en"}, key="x" * 50, salt=MARKETING_SALT),
        # Signed by us for another purpose (a status link's salt).
        signing.dumps({"a": "x"}, salt="dsr.status-link"),
        "not-a-token",
    ]
    for token in forged:
        url = reverse("dsr:objection_link", args=[token])
        for response in (
            client.get(url, HTTP_ACCEPT_LANGUAGE="de"),
            client.post(url, {"List-Unsubscribe": "One-Click"}, HTTP_ACCEPT_LANGUAGE="de"),
        ):
            assert response.status_code == 404, token
            assert "Dieser Widerspruchslink funktioniert nicht" in response.content.decode()
    assert not SubjectRequest.objects.exists()
    assert not PrivacySignal.objects.exists()


def test_the_link_does_not_show_the_address_and_is_new_each_time():
    first, second = objection_url("erika@example.org"), objection_url("erika@example.org")
    assert "erika" not in first.lower()
    assert first != second
    for url in (first, second):
        token = url.rstrip("/").rsplit("/", 1)[1]
        found = address_from_marketing_token(token)
        assert found is not None
        assert found.email == "erika@example.org"


def test_the_command_prints_the_link_and_headers_for_a_marketing_system(client, shop):
    out = io.StringIO()
    call_command("dsr_marketing_links", "erika@example.org", "--language", "nl", stdout=out)
    (row,) = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["email"] == "erika@example.org"
    assert row["list_unsubscribe"] == f"<{row['url']}>"
    assert row["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    token = row["url"].rstrip("/").rsplit("/", 1)[1]
    found = address_from_marketing_token(token)
    assert found is not None
    assert found.language == "nl"
    assert client.get(path_of(row["url"])).status_code == 200


def test_a_marketing_email_carries_the_link_and_the_one_click_headers():
    text = (
        engines["django"]
        .from_string('{% include "emails/_marketing_objection.txt" %}')
        .render({"email": "erika@example.org", "language": "de"})
    )
    (url,) = [word for word in text.split() if word.startswith("http")]
    assert "Object to direct marketing with one click" in text
    message = with_objection_headers(
        EmailMessage("Our offers", text, to=["erika@example.org"]),
        email="erika@example.org",
        url=url,
    )
    headers = message.message()
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_account_without_a_verified_address_objects_for_nobody(client, shop):
    # An account whose address was never verified is no proof of who is signing in.
    person = User.objects.create_user(email="unverified@example.org", password="x" * 20)
    client.force_login(person)
    client.get(reverse("home"), **GPC)
    assert not PrivacySignal.objects.exists()
