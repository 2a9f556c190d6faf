"""The Celery app: three queues, late acknowledgement, JSON only.

Celery only moves work; the state lives in the database, so tasks take ids and are safe to
run twice (a message can be delivered again after a worker dies).
"""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsr.settings")

QUEUES = ("default", "connectors", "exports")

app = Celery("dsr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in QUEUES)
app.conf.update(task_default_exchange="default", task_default_routing_key="default")
app.autodiscover_tasks()
# Tasks outside an app's own tasks.py: a worker drops a message whose task it does not know.
app.autodiscover_tasks(["dsr.exports", "dsr.processing"])
