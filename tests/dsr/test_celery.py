"""Tasks travel through real Redis to a real worker; the health page sees all three parts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dsr.celery import QUEUES, app
from dsr.models import OutboxMessage
from dsr.tasks import purge_outbox_task
from tests.fixtures.celery import wait_for

pytestmark = [pytest.mark.redis]


def test_the_app_is_configured_for_safe_redelivery():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert {q.name for q in conf.task_queues} == set(QUEUES) == {"default", "connectors", "exports"}
    # A task must be killed before the broker hands its message to another worker.
    assert conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_url.startswith("redis://")


def test_a_task_sent_through_redis_is_run_by_a_real_worker(celery_worker):
    stale = OutboxMessage.objects.create(from_email="a", to="b", subject="stale", body="x")
    OutboxMessage.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=30))
    purge_outbox_task.delay()
    wait_for(lambda: not OutboxMessage.objects.filter(pk=stale.pk).exists())


def test_connector_tasks_are_routed_to_their_own_queue():
    route = app.amqp.router.route({}, "dsr.processing.tasks.run_job")
    assert route["queue"].name == "connectors"
    assert app.amqp.router.route({}, "dsr.tasks.purge_outbox")["queue"].name == "default"


def test_the_health_page_is_green_with_a_worker_running(client, celery_worker):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True


@pytest.mark.django_db
def test_the_health_page_reports_a_missing_worker(client):
    response = client.get(reverse("healthz"), headers={"accept": "text/html"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Some parts of the portal are not working." in page
    assert "Background workers" in page


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported(monkeypatch):
    from celery import Celery

    from dsr.selectors.health import run_checks

    monkeypatch.delenv("CELERY_BROKER_URL")  # Celery lets the environment win over config
    dead = Celery("dead", broker="redis://127.0.0.1:1/0", set_as_current=False)
    checks = {check.name: check for check in run_checks(dead)}
    assert checks["database"].ok is True
    assert checks["broker"].ok is False
    assert checks["worker"].ok is False
