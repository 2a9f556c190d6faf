"""Celery tasks of the fan-out: ids in, the processing modules do the work."""

import logging

from celery import shared_task

from dsr.core import taskqueue
from dsr.processing import manual, sweep, worker
from dsr.processing.dispatch import RUN_JOB
from dsr.processing.manual import SEND_ESCALATION, SEND_TASK_EMAIL

logger = logging.getLogger(__name__)


@shared_task(name=RUN_JOB)
def run_job(job_id: int) -> str:
    outcome = worker.run_job(job_id)
    logger.info("job %s: %s", job_id, outcome)
    return outcome


@shared_task(name="dsr.processing.tasks.sweep")
def sweep_jobs() -> dict[str, int]:
    return sweep.sweep()


@shared_task(name="dsr.processing.tasks.scheduled_erasures")
def scheduled_erasures() -> int:
    return sweep.run_scheduled_erasures()


@shared_task(name=SEND_TASK_EMAIL, base=taskqueue.Owed)
def send_manual_task_email(task_id: int, template: str) -> bool:
    return manual.deliver(task_id, template)


@shared_task(name=SEND_ESCALATION, base=taskqueue.Owed)
def send_escalation_email(task_id: int, officer_id: int) -> bool:
    return manual.escalate_to(task_id, officer_id)


@shared_task(name="dsr.processing.tasks.manual_reminders")
def manual_reminders() -> list[int]:
    return list(manual.remind_and_escalate())
