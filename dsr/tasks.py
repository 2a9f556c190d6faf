"""Tasks of the case domain: thin wrappers that call services and are safe to run twice."""

from celery import shared_task

from dsr.services.outbox import purge_outbox


@shared_task(name="dsr.tasks.purge_outbox")
def purge_outbox_task() -> int:
    """Delete outbox e-mails past their retention (they carry personal data)."""
    return purge_outbox()
