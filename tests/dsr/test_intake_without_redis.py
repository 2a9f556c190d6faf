"""Filing never depends on Redis: with the cache and the broker down, the person gets the
normal page, the request is saved, and its confirmation e-mail is owed in the outbox and goes
out once Redis is back (issue 14)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from dsr.core import taskqueue
from dsr.models import Delivery, DeliveryState, SubjectRequest
from tests.dsr.test_intake import unreachable_cache
from tests.fixtures.celery import broker_at, thread_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_request_filed_while_redis_is_down_is_saved_and_confirmed_once_it_is_back(
    client, settings, redis_server
):
    # Cache and broker both on a Redis that is not running (yet).
    unreachable_cache(settings, redis_server.url)
    from dsr.celery import app

    with broker_at(redis_server.url):
        app.conf.task_always_eager = False
        try:
            response = client.post(
                reverse("dsr:intake", args=["access"]),
                {"requester": "myself", "email": "erika@example.org"},
            )
        finally:
            app.conf.task_always_eager = True
        assert response.status_code == 302
        assert response["Location"] == reverse("dsr:sent")
        assert client.get(response["Location"]).status_code == 200  # the normal page
        item = SubjectRequest.objects.get()
        owed = Delivery.objects.get(request=item, label="received")
        assert owed.state == DeliveryState.OWED
        assert mail.outbox == []

        redis_server.start()  # back, and empty
        assert taskqueue.sweep_deliveries(now=timezone.now() + timedelta(hours=1)) == {
            "published": 1,
            "reclaimed": 0,
            "unknown": 0,
        }
        with thread_worker():
            wait_for(
                lambda: Delivery.objects.get(pk=owed.pk).state == DeliveryState.SENT, timeout=60
            )
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert item.reference in f"{mail.outbox[0].subject} {mail.outbox[0].body}"
    assert item.letters.filter(template="received").count() == 1
