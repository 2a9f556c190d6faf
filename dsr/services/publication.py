"""Art. 17(2): informing the controllers that process data we made public that the person
asked for erasure, and recording for each whether it was informed, when, or why not."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dsr.core.errors import RequestError
from dsr.models import NoticeStatus, ProcessingActivity, PublicationNotice


def notice_text(notice: PublicationNotice) -> str:
    """What the controller is told: that the person asked us to erase, which data (where we
    published it), and that any links to, copies or replications of it are to be erased. In
    the portal's language: controllers are organisations, not the person."""
    activity = ProcessingActivity.objects.filter(key=notice.activity).first()
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "dsr/publication_notice.txt",
            {
                "notice": notice,
                "request": notice.request,
                "activity": activity.name if activity else notice.activity,
            },
        ).strip()


@transaction.atomic
def decide(notice: PublicationNotice, *, officer: Any, informed: bool, reason: str = "") -> None:
    """The controller was informed (today), or it was not, for the reason recorded."""
    if notice.status != NoticeStatus.PENDING:
        raise RequestError(_("This notice is already on record."))
    if not informed and not reason.strip():
        raise RequestError(_("Not informing a controller needs a recorded reason."))
    notice.status = NoticeStatus.NOTIFIED if informed else NoticeStatus.NOT_NOTIFIED
    notice.reason = reason.strip()
    notice.decided_at = timezone.now()
    notice.decided_by = officer
    notice.save(update_fields=["status", "reason", "decided_at", "decided_by"])
