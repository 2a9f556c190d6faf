"""Extending the deadline by two months (Art. 12(3))."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.clock import clock_for, today
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import (
    EventKind,
    ExtensionGround,
    SubjectRequest,
)


@transaction.atomic
def extend(request: SubjectRequest, *, officer: User, reasons: str, ground: str = "") -> None:
    """Art. 12(3): once, by two months, with reasons, notified before the one-month date.

    ``ground`` is which of the two grounds the Article allows applies (the officer's form
    requires it; "" records none, for callers from before it existed)."""
    if not reasons.strip():
        raise RequestError(_("An extension needs reasons, and they are sent to the requester."))
    if ground and ground not in ExtensionGround.values:
        raise RequestError(_("Please choose the ground of the extension."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    clock = clock_for(request)
    if request.extended or not clock.extension_allowed(today()):
        raise RequestError(
            _("The deadline can be extended only once, and only until the one-month date.")
        )
    record(
        request,
        EventKind.EXTENDED,
        actor=officer,
        reason=reasons.strip(),
        data={"ground": ground} if ground else {},
    )
    send_to_requester(request, "extended")
