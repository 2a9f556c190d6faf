"""Internal notes on a case."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import (
    CaseNote,
    EventKind,
    SubjectRequest,
)


@transaction.atomic
def add_note(request: SubjectRequest, *, officer: User, body: str) -> None:
    """An internal note; the timeline records that one was written, not what it says."""
    if not body.strip():
        raise RequestError(_("Write the note first."))
    note = CaseNote.objects.create(request=request, author=officer, body=body.strip())
    record(request, EventKind.NOTE_ADDED, actor=officer, data={"note": note.pk})
