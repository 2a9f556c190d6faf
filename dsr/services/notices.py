"""Art. 19: the notice each recipient of changed data is sent (with the person's supplementary
statement, Art. 16), and recording whether each was told, or why not."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectors.registry import systems
from dsr.core.errors import RequestError
from dsr.models import JobStatus, NoticeStatus, RecipientNotice


def supplementary_statement(notice: RecipientNotice) -> str:
    """The person's statement, where the rectification carried one (read from the request's
    record, never kept on the notice)."""
    right = notice.request.requested_rights.filter(right="rectification").first()
    return str((right.details if right else {}).get("statement") or "").strip()


def notice_text(notice: RecipientNotice) -> str:
    """What the recipient is told: who, which change in which of our systems, and the
    supplementary statement to add to the person's data. In the portal's language:
    recipients are organisations, not the person."""
    request = notice.request
    jobs = request.jobs.filter(system=notice.system, status=JobStatus.SUCCEEDED)
    actions = []
    for job in jobs:
        result = job.result or {}
        if job.action == "rectify" and (result.get("changed") or result.get("statement_kept")):
            actions.append("rectify")
        elif job.action == "erase" and (result.get("erased") or result.get("anonymised")):
            actions.append("erase")
        elif job.action == "erase" and result.get("retained"):
            actions.append("restrict")  # kept records are restricted to their purpose
        elif job.action == "restrict" and (result.get("changed") or result.get("already")):
            actions.append("restrict")
    config = systems().get(notice.system)
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "dsr/recipient_notice.txt",
            {
                "notice": notice,
                "request": request,
                "system_name": config.name if config else notice.system,
                "actions": sorted(set(actions)),
                "statement": supplementary_statement(notice),
            },
        ).strip()


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
