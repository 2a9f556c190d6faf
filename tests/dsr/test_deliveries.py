"""The outbox of owed work: an e-mail or a package is owed in the transaction that owes it, sent
after the commit, swept when overdue, tried again on transient errors, never sent twice, and a
failure is on the case page for an officer to try again."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from dsr.core import taskqueue
from dsr.core.messages import SEND_TASK, send_to_requester
from dsr.exports.tasks import owe_package
from dsr.models import (
    AnswerPackage,
    Delivery,
    DeliveryState,
    EventKind,
    OutboxMessage,
    SentLetter,
    Status,
)
from dsr.services.digest import send_digests
from tests.dsr.test_digest import DAY, case
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=2)  # past the grace and the lease (test settings)


def _request():
    item = submit()
    mail.outbox.clear()
    return item


def _owe_and_lose(item, template="withdrawn"):
    """Owe an e-mail whose publication is lost (the process died after the commit)."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        send_to_requester(item, template)
    return Delivery.objects.get(request=item, label=template)


def test_an_email_is_owed_in_the_transaction_that_owes_it():
    item = _request()

    def owe_then_fail():
        with transaction.atomic():
            send_to_requester(item, "withdrawn")
            raise RuntimeError("the change is rolled back")

    with pytest.raises(RuntimeError):
        owe_then_fail()
    assert not Delivery.objects.filter(label="withdrawn").exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_to_requester(item, "withdrawn")
    delivery = Delivery.objects.get(label="withdrawn")
    assert delivery.state == DeliveryState.SENT
    assert delivery.args == [item.pk, "withdrawn", None, None]  # ids and names only
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    # The same Message-ID on every attempt, kept with the delivery.
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery.message_id
    assert delivery.key.replace(":", ".") in delivery.message_id
    assert SentLetter.objects.filter(request=item, template="withdrawn").count() == 1


def test_a_lost_publication_is_sent_by_the_sweep_once():
    item = _request()
    delivery = _owe_and_lose(item)
    assert delivery.state == DeliveryState.OWED
    assert mail.outbox == []
    # Not before its grace: the message may still be on its way.
    assert taskqueue.sweep_deliveries()["published"] == 0
    assert taskqueue.sweep_deliveries(now=timezone.now() + LATER)["published"] == 1
    assert len(mail.outbox) == 1
    assert taskqueue.sweep_deliveries(now=timezone.now() + 2 * LATER)["published"] == 0
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 1


def test_a_message_that_arrives_twice_sends_once():
    item = _request()
    delivery = _owe_and_lose(item)
    from dsr.celery import app

    task = app.tasks[SEND_TASK]
    task.apply(kwargs={"delivery": delivery.pk})
    task.apply(kwargs={"delivery": delivery.pk})
    assert len(mail.outbox) == 1
    assert SentLetter.objects.filter(request=item, template="withdrawn").count() == 1


def test_a_task_reads_the_controller_and_its_authorities_once():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dsr.celery import app

    item = _request()
    delivery = _owe_and_lose(item)
    with CaptureQueriesContext(connection) as queries:
        app.tasks[SEND_TASK].apply(kwargs={"delivery": delivery.pk})
    assert len(mail.outbox) == 1
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([q for q in sql if 'FROM "dsr_controller"' in q]) == 1
    assert len([q for q in sql if 'FROM "dsr_supervisoryauthority"' in q]) == 1


class FlakyBackend:
    """A mail server that is unreachable for the first ``failures`` attempts."""

    failures = 0
    calls = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        FlakyBackend.calls += 1
        if FlakyBackend.calls <= FlakyBackend.failures:
            raise ConnectionRefusedError(111, "Connection refused")
        mail.outbox.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 0
    return FlakyBackend


def test_a_transient_error_is_tried_again_with_backoff(flaky, settings):
    item = _request()
    flaky.calls, flaky.failures = 0, 2
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_to_requester(item, "withdrawn")
    delivery = Delivery.objects.get(label="withdrawn")
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 3
    assert len(mail.outbox) == 1
    assert taskqueue.backoff(1) == settings.DSR_DELIVERY_BACKOFF_SECONDS
    assert taskqueue.backoff(3) == 4 * settings.DSR_DELIVERY_BACKOFF_SECONDS
    assert taskqueue.backoff(30) == settings.DSR_DELIVERY_BACKOFF_MAX_SECONDS


def test_after_its_last_attempt_a_delivery_fails_visibly_and_an_officer_retries_it(
    client, flaky, settings
):
    item = _request()
    flaky.calls, flaky.failures = 0, 100
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_to_requester(item, "withdrawn")
    delivery = Delivery.objects.get(label="withdrawn")
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == settings.DSR_DELIVERY_MAX_ATTEMPTS
    assert delivery.error == "ConnectionRefusedError"  # no message: it may carry an address
    assert mail.outbox == []

    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert f'id="delivery-{delivery.pk}"' in page
    assert "Withdrawal confirmed" in page
    assert "ConnectionRefusedError" in page
    flaky.failures = 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(
            reverse("staff:case_action", args=[item.reference, "retry_delivery"]),
            {"delivery": delivery.pk},
        )
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert len(mail.outbox) == 1
    event = item.events.get(kind=EventKind.DELIVERY_RETRIED)
    assert event.actor == officer
    assert event.data["error"] == "ConnectionRefusedError"
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert f'id="delivery-{delivery.pk}"' not in page
    # A sent one cannot be "tried again".
    again = client.post(
        reverse("staff:case_action", args=[item.reference, "retry_delivery"]),
        {"delivery": delivery.pk},
        follow=True,
    )
    assert "Only a failed delivery can be tried again." in again.content.decode()
    assert len(mail.outbox) == 1


class RefusedBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"no such user")})


def test_a_refused_address_fails_at_once(settings):
    item = _request()
    settings.EMAIL_BACKEND = f"{__name__}.RefusedBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_to_requester(item, "withdrawn")
    delivery = Delivery.objects.get(label="withdrawn")
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "erika" not in delivery.error


def test_a_database_error_while_sending_is_transient():
    assert taskqueue.transient(OperationalError("server closed the connection"))
    assert taskqueue.transient(ConnectionResetError())
    assert not taskqueue.transient(ValueError("a bug"))


def _die_while_sending(delivery):
    """What a worker killed between its claim and its outcome leaves behind."""
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
    )


def test_an_email_whose_worker_died_while_sending_is_never_sent_again_by_itself():
    item = _request()
    delivery = _owe_and_lose(item)
    _die_while_sending(delivery)
    counts = taskqueue.sweep_deliveries(now=timezone.now() + LATER)
    assert counts["unknown"] == 1
    delivery.refresh_from_db()
    # The SMTP server may have taken it: an officer decides, nothing is sent twice by itself.
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == taskqueue.UNKNOWN_OUTCOME
    assert mail.outbox == []


def test_with_the_database_outbox_a_dead_send_did_not_happen_and_is_done_again(settings):
    settings.EMAIL_BACKEND = "dsr.core.outbox.OutboxEmailBackend"
    item = _request()
    OutboxMessage.objects.all().delete()
    delivery = _owe_and_lose(item)
    _die_while_sending(delivery)
    assert taskqueue.sweep_deliveries(now=timezone.now() + LATER)["reclaimed"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert OutboxMessage.objects.filter(to="erika@example.org").count() == 1


def test_a_lost_package_build_is_done_again_by_the_sweep(settings, tmp_path):
    item = _request()
    item.status = Status.IN_REVIEW
    item.save(update_fields=["status"])
    with TestCase.captureOnCommitCallbacks(execute=False):
        owe_package(item.pk)
    delivery = Delivery.objects.get(label="package")
    assert delivery.repeatable
    _die_while_sending(delivery)
    assert not AnswerPackage.objects.filter(request=item).exists()
    assert taskqueue.sweep_deliveries(now=timezone.now() + LATER)["reclaimed"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert AnswerPackage.objects.filter(request=item, deleted_at__isnull=True).count() == 1


def test_sent_work_of_no_request_is_purged_after_the_outbox_retention(settings):
    officer, _ = make_officer()
    case(officer, -1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert send_digests(DAY) == 1
    digest = Delivery.objects.get(label="digest")
    assert digest.state == DeliveryState.SENT
    item = _request()
    received = Delivery.objects.get(request=item, label="received")
    assert received.state == DeliveryState.SENT
    later = timezone.now() + timedelta(days=settings.DSR_OUTBOX_RETENTION_DAYS + 1)
    assert taskqueue.purge_sent(now=timezone.now()) == 0
    assert taskqueue.purge_sent(now=later) == 1
    assert not Delivery.objects.filter(pk=digest.pk).exists()
    # A request's own deliveries stay as long as the request.
    assert Delivery.objects.filter(pk=received.pk).exists()
