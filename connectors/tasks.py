"""Celery tasks of the connectors: ids in, services do the work."""

import logging

from celery import shared_task

from connectors import services

logger = logging.getLogger(__name__)


@shared_task(name="connectors.tasks.run_job")
def run_job(job_id: int) -> str:
    outcome = services.run_job(job_id)
    logger.info("job %s: %s", job_id, outcome)
    return outcome


@shared_task(name="connectors.tasks.sweep")
def sweep() -> dict[str, int]:
    return services.sweep()


@shared_task(name="connectors.tasks.scheduled_erasures")
def scheduled_erasures() -> int:
    return services.run_scheduled_erasures()


@shared_task(
    name="connectors.tasks.send_manual_task_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_manual_task_email(task_id: int, template: str) -> bool:
    from connectors import manual

    return manual.deliver(task_id, template)


@shared_task(
    name="connectors.tasks.send_escalation_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_escalation_email(task_id: int, officer_id: int) -> bool:
    from connectors import manual

    return manual.escalate_to(task_id, officer_id)


@shared_task(name="connectors.tasks.manual_reminders")
def manual_reminders() -> list[int]:
    from connectors import manual

    return list(manual.remind_and_escalate())
