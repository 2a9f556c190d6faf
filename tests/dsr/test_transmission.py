"""Direct transmission to another controller (Art. 20(2)): named on the form, confirmed on the
status page, a signed expiring link e-mailed on release, or recorded as not feasible."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dsr.core.controller import get_controller
from dsr.core.mail import render_email
from dsr.core.messages import letter_context_for
from dsr.core.tokens import status_token, transmission_token
from dsr.demo import load_demo
from dsr.demo_register import load_register
from dsr.models import (
    AnswerPackage,
    EventKind,
    SentLetter,
    SubjectRequest,
    TransmissionState,
)
from dsr.rights import Right
from dsr.services import answers, verification
from tests.connectors import sources
from tests.dsr.test_intake import file_request
from tests.dsr.test_letter_language import untranslated
from tests.dsr.test_package import crm  # noqa: F401  (the fixture: a real SQL CRM)
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENT = "datenschutz@neuecloud.example"
REMEDY = "Sie haben das Recht auf Beschwerde bei einer Aufsichtsbehörde"


def _open_status_page(client, outbox, item):
    """As the requester: the status link, then the code e-mailed to them."""
    link = reverse("dsr:status", args=[status_token(item)])
    client.post(link, {"send": "1"})
    client.post(link, {"code": code_in(outbox.last_to(item.email))})
    return link


def test_the_company_named_on_the_form_gets_an_expiring_link_to_the_same_package(
    crm,  # noqa: F811
    outbox,
    client,
    settings,
):
    load_register()  # the CRM's processing rests on the contract: portable
    officer, _ = make_officer()
    file_request(
        client,
        Right.PORTABILITY,
        {
            "transmit": "on",
            "recipient_name": "Neue Cloud GmbH",
            "recipient_contact": "Datenschutz@NeueCloud.example",
        },
        language="de",
        email=sources.SUBJECT,
    )
    item = SubjectRequest.objects.get(email=sources.SUBJECT)
    assert item.transmission.state == TransmissionState.REQUESTED
    assert item.transmission.recipient_email == RECIPIENT
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))

    # Someone with only the status link cannot confirm it.
    confirm_url = reverse("dsr:confirm_transmission", args=[status_token(item)])
    client.__class__().post(confirm_url)
    item.transmission.refresh_from_db()
    assert item.transmission.state == TransmissionState.REQUESTED

    link = _open_status_page(client, outbox, item)
    page = " ".join(client.get(link).content.decode().split())
    assert "Neue Cloud GmbH" in page
    assert "Bestätigen: meine Daten an dieses Unternehmen senden" in page
    client.post(confirm_url)
    item.transmission.refresh_from_db()
    assert item.transmission.state == TransmissionState.CONFIRMED
    assert item.events.filter(kind=EventKind.TRANSMISSION_CONFIRMED).count() == 1
    assert not outbox.to(RECIPIENT)  # nothing goes before the answer is released

    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    answers.release(package, officer=officer)
    item.transmission.refresh_from_db()
    assert item.transmission.state == TransmissionState.SENT
    assert item.transmission.package == package
    package.refresh_from_db()
    assert package.expires_at is not None
    assert item.transmission.expires_at is not None
    assert item.transmission.expires_at <= package.expires_at

    mail = outbox.last_to(RECIPIENT)
    assert item.reference in mail.subject
    assert "Art. 20 Abs. 2 DSGVO" in mail.body  # in the request's language
    download = path_of(next(u for u in outbox.links(mail) if "/t/" in u))
    # The stored copy of the e-mail does not keep the working link.
    stored = SentLetter.objects.get(request=item, template="transmission")
    assert stored.to == RECIPIENT
    assert download not in stored.body
    assert "[link]" in stored.body

    # The recipient has no session and no code: the signed link is enough, until it expires.
    recipient = client.__class__()
    response = recipient.get(download)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == package.sha256
    assert item.events.filter(kind=EventKind.TRANSMISSION_DOWNLOADED).count() == 1
    assert recipient.get(download[:-3] + "xyz/").status_code == 410  # tampered

    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "haben wir Neue Cloud GmbH am" in letter
    assert RECIPIENT in letter
    # The requester's page tells the story to its end: the answer was sent, the request closed.
    page = " ".join(client.get(link).content.decode().split())
    assert "Antwort gesendet" in page
    assert "Abgeschlossen am" in page
    assert 'id="due-date"' not in page

    with time_machine.travel(timezone.now() + timedelta(days=settings.DSR_TRANSMISSION_DAYS + 1)):
        expired = recipient.get(download, headers={"accept-language": "de"})
        assert expired.status_code == 410
        assert "nicht mehr verfügbar" in expired.content.decode()
    assert item.events.filter(kind=EventKind.TRANSMISSION_DOWNLOADED).count() == 1

    # The recipient has downloaded it: renewing the requester's link sends it nothing more.
    sent_to_recipient = len(outbox.to(RECIPIENT))
    answers.reissue(package, officer=officer)
    assert len(outbox.to(RECIPIENT)) == sent_to_recipient


def test_a_renewed_answer_renews_the_link_of_a_recipient_who_has_not_downloaded_it(
    crm,  # noqa: F811
    outbox,
    client,
):
    from dsr.services import transmission

    load_register()
    officer, _ = make_officer()
    item = submit(
        right="portability",
        email=sources.SUBJECT,
        details={
            "transmit": True,
            "recipient_name": "Neue Cloud GmbH",
            "recipient_contact": RECIPIENT,
        },
    )
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    transmission.confirm(item)
    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    answers.release(package, officer=officer)
    first = path_of(next(u for u in outbox.links(outbox.last_to(RECIPIENT)) if "/t/" in u))
    package.refresh_from_db()
    answers.reissue(package, officer=officer)
    assert len(outbox.to(RECIPIENT)) == 2
    second = path_of(next(u for u in outbox.links(outbox.last_to(RECIPIENT)) if "/t/" in u))
    assert second != first
    recipient = client.__class__()
    assert recipient.get(first).status_code == 410  # the old link stops working
    assert recipient.get(second).status_code == 200
    assert item.events.filter(kind=EventKind.TRANSMISSION_SENT).count() == 2


def test_an_officer_records_that_transmission_is_not_feasible_and_the_letter_says_why(
    crm,  # noqa: F811
    outbox,
    client,
):
    load_register()
    officer, secret = make_officer()
    item = submit(
        right="portability",
        email=sources.SUBJECT,
        language="de",
        details={
            "transmit": True,
            "recipient_name": "Alte Bank AG",
            "recipient_contact": "Postfach 12 34, 10115 Berlin",
        },
    )
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    assert item.transmission.recipient_email == ""  # a postal address: no link can go there
    reason = "Die Alte Bank AG nimmt Daten nur auf Papier entgegen."
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = " ".join(
        client.get(reverse("staff:case", args=[item.reference])).content.decode().split()
    )
    assert "Alte Bank AG" in page
    assert "Record: not technically feasible" in page
    assert 'id="left-out"' in page  # what the portability answer leaves out, and why
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "transmission_not_feasible"]),
        {"reason": reason},
    )
    item.transmission.refresh_from_db()
    assert item.transmission.state == TransmissionState.NOT_FEASIBLE
    assert item.transmission.reason == reason
    event = item.events.get(kind=EventKind.TRANSMISSION_NOT_FEASIBLE)
    assert (event.actor, event.reason) == (officer, reason)

    answers.release(
        AnswerPackage.objects.get(request=item, deleted_at__isnull=True), officer=officer
    )
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "Das ist technisch nicht machbar: " + reason in letter
    assert "Insoweit lehnen wir Ihren Antrag teilweise ab." in letter
    assert letter.count(REMEDY) == 1
    assert not [m for m in outbox.messages if "Postfach" in " ".join(m.to)]


def test_an_unconfirmed_transmission_is_not_sent_until_confirmed_and_the_letter_says_so(
    crm,  # noqa: F811
    outbox,
    client,
):
    load_register()
    officer, _ = make_officer()
    item = submit(
        right="portability",
        email=sources.SUBJECT,
        details={
            "transmit": True,
            "recipient_name": "Neue Cloud GmbH",
            "recipient_contact": RECIPIENT,
        },
    )
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    answers.release(package, officer=officer)
    assert not outbox.to(RECIPIENT)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "but did not confirm it on your request's page, so we have not sent it" in letter

    # Confirmed later, while the answer can still be downloaded: the link goes then.
    _open_status_page(client, outbox, item)
    client.post(reverse("dsr:confirm_transmission", args=[status_token(item)]))
    item.transmission.refresh_from_db()
    assert item.transmission.state == TransmissionState.SENT
    assert item.transmission.package == package
    assert outbox.links(outbox.last_to(RECIPIENT))


@pytest.mark.parametrize("language", ["de", "nl"])
def test_the_recipients_e_mail_is_wholly_in_the_request_language(language):
    load_demo()
    item = submit(
        right="portability",
        language=language,
        name="Erika Mustermann",
        details={
            "transmit": True,
            "recipient_name": "Neue Cloud GmbH",
            "recipient_contact": RECIPIENT,
        },
    )
    transmission = item.transmission
    transmission.state = TransmissionState.SENT
    transmission.sent_at = timezone.now()
    transmission.expires_at = timezone.now() + timedelta(days=14)
    transmission.nonce = "n"
    transmission.save()
    context = letter_context_for(item, "transmission") | {
        "transmission": transmission,
        "download_url": "https://dsr.example/t/" + transmission_token(transmission),
    }
    subject, text, _ = render_email("transmission", context, language)
    en_subject, english, _ = render_email("transmission", context, "en")
    controller = get_controller()
    data = [
        item.reference,
        "Erika Mustermann",
        "Neue Cloud GmbH",
        controller.name,
        controller.dpo_name,
        *controller.dpo_contact.splitlines(),
    ]
    assert untranslated(f"{subject}\n{text}", f"{en_subject}\n{english}", language, data=data) == []


def test_the_answer_says_what_became_of_the_recipients_e_mail_not_that_it_went(
    crm,  # noqa: F811
    outbox,
    client,
    settings,
):
    """The recipient's mail server refuses the link for good: the answer letter and the status
    page say it could not be delivered (never "we sent"); while it is owed they say it is being
    sent; once an officer's retry delivers it, the page says when it went."""
    from dsr.models import Delivery, DeliveryState
    from dsr.services import deliveries, transmission

    load_register()
    officer, _ = make_officer()
    item = submit(
        right="portability",
        email=sources.SUBJECT,
        language="de",
        details={
            "transmit": True,
            "recipient_name": "Neue Cloud GmbH",
            "recipient_contact": RECIPIENT,
        },
    )
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    transmission.confirm(item)
    settings.EMAIL_BACKEND = "tests.fakes.mail.RefusingBackend"
    settings.DSR_TEST_REFUSED_RECIPIENTS = [RECIPIENT]
    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    answers.release(package, officer=officer)
    assert not outbox.to(RECIPIENT)
    failed = Delivery.objects.get(request=item, label="transmission")
    assert failed.state == DeliveryState.FAILED
    assert failed.error == "SMTPRecipientsRefused"

    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "konnte aber nicht zugestellt werden" in letter
    assert "haben wir Neue Cloud GmbH am" not in letter
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    link = _open_status_page(client, outbox, item)
    page = " ".join(client.get(link).content.decode().split())
    assert "konnte nicht zugestellt werden" in page

    # Owed again (an officer's retry, before the worker has sent it): "being sent".
    Delivery.objects.filter(pk=failed.pk).update(state=DeliveryState.OWED)
    context = letter_context_for(item, "answer_ready", None)
    _subject, text, _html = render_email("answer_ready", context, "de")
    assert "senden wir Neue Cloud GmbH gleichzeitig" in " ".join(text.split())
    Delivery.objects.filter(pk=failed.pk).update(state=DeliveryState.FAILED)

    settings.DSR_TEST_REFUSED_RECIPIENTS = []
    failed.refresh_from_db()
    deliveries.retry_delivery(failed, officer=officer)
    assert outbox.last_to(RECIPIENT)
    page = " ".join(client.get(link).content.decode().split())
    assert "wir Neue Cloud GmbH einen Download-Link" in page
    assert "nicht zugestellt" not in page
