"""Celery tasks of the connectors: ids in, services do the work."""

from celery import shared_task

from connectors import services


@shared_task(name="connectors.tasks.run_job")
def run_job(job_id: int) -> str:
    return services.run_job(job_id)


@shared_task(name="connectors.tasks.sweep")
def sweep() -> dict[str, int]:
    return services.sweep()


@shared_task(name="connectors.tasks.scheduled_erasures")
def scheduled_erasures() -> int:
    return services.run_scheduled_erasures()
