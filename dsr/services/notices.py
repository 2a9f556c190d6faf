"""Art. 19: recording whether each recipient of changed data was told, or why not."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dsr.core.errors import RequestError
from dsr.models import NoticeStatus, RecipientNotice


@transaction.atomic
def decide_notice(
    notice: RecipientNotice, *, officer: Any, notified: bool, reason: str = ""
) -> None:
    if not notified and not reason.strip():
        raise RequestError(_("Not notifying a recipient needs a recorded reason."))
    notice.status = NoticeStatus.NOTIFIED if notified else NoticeStatus.NOT_NOTIFIED
    notice.reason = reason.strip()
    notice.decided_at = timezone.now()
    notice.decided_by = officer
    notice.save(update_fields=["status", "reason", "decided_at", "decided_by"])
