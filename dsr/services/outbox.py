"""The development outbox keeps e-mails only for a short, configurable time."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from dsr.models import OutboxMessage


def purge_outbox(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.DSR_OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted
