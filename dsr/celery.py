"""The Celery app: three queues, late acknowledgement, JSON only.

Celery only moves work; the state lives in the database, so tasks take ids and are safe to
run twice (a message can be delivered again after a worker dies).
"""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    task_prerun,
    worker_process_init,
)
from kombu import Exchange, Queue

from dsr.logmask import MaskPersonalData

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsr.settings")

QUEUES = ("default", "connectors", "exports")

app = Celery("dsr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in QUEUES)
app.conf.update(task_default_exchange="default", task_default_routing_key="default")
app.autodiscover_tasks()
# Tasks outside an app's own tasks.py: a worker drops a message whose task it does not know.
app.autodiscover_tasks(["dsr.exports", "dsr.processing"])


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_personal_data(logger: logging.Logger, **kwargs: Any) -> None:
    """The worker's own handlers mask e-mail addresses, link tokens and codes too."""
    for handler in logger.handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())


# Every task reads the controller's details at most once, as a web request does.
_reading_once: dict[str, Any] = {}


@task_prerun.connect
def read_controller_once(task_id: str, **kwargs: Any) -> None:
    # Not at the top: this module is imported before Django's apps are ready.
    from dsr.core.controller import read_once

    block = read_once()
    block.__enter__()
    _reading_once[task_id] = block


@task_postrun.connect
def forget_controller(task_id: str, **kwargs: Any) -> None:
    block = _reading_once.pop(task_id, None)
    if block is not None:
        block.__exit__(None, None, None)


# Queues whose tasks render PDFs: the answer package's report, the letters' PDF copies.
RENDERING_QUEUES = frozenset({"default", "exports"})


@worker_process_init.connect
def warm_up(**kwargs: Any) -> None:
    """A pool process pays its one-off costs before its first task, not during it: the
    connector configuration read and each backend built (they are kept per process), and,
    where it takes tasks that render, WeasyPrint's set-up and the report's stylesheet (about
    a second that the first answer package would otherwise wait for)."""
    # Not at the top: this module is imported before Django's apps are ready.
    from connectors import registry
    from dsr.core import pdf
    from dsr.exports.report import STYLESHEET

    log = logging.getLogger("dsr.worker")
    try:
        for alias in registry.systems():
            registry.connector(alias)
    except Exception as exc:  # the task that needs the system says what is wrong
        log.warning("connectors not built ahead of the first task (%s)", type(exc).__name__)
    if RENDERING_QUEUES & set(app.amqp.queues.consume_from or QUEUES):
        try:
            pdf.warm(STYLESHEET)
        except Exception as exc:  # never a reason not to start: the first PDF pays instead
            log.warning("PDF rendering not warmed up (%s)", type(exc).__name__)
