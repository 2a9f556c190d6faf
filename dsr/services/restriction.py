"""Lifting a restriction: the requester is told first (Art. 18(3)), then the systems."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from connectors.base import (
    Capability,
)
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import (
    EventKind,
    SubjectRequest,
)
from dsr.processing.dispatch import advance
from dsr.processing.lifts import create_lift_jobs


@transaction.atomic
def notify_restriction_lift(request: SubjectRequest, *, officer: Any) -> None:
    """Art. 18(3): the requester is told before a restriction is lifted."""
    record(request, EventKind.RESTRICTION_LIFT_NOTIFIED, actor=officer)
    send_to_requester(request, "restriction_lift")


@transaction.atomic
def lift_after_rejected_objection(request: SubjectRequest, *, officer: Any) -> int:
    """Art. 21(1): the objection is rejected, so the restriction that held the data while it
    was assessed (Art. 18(1)(d)) ends. The refusal letter tells the requester first (Art.
    18(3)); the lifting runs although the refusal closed the request."""
    created = create_lift_jobs(request, held=True)  # until the refusal letter has gone out
    if created:
        record(
            request,
            EventKind.RESTRICTION_LIFTED,
            actor=officer,
            data={"systems": created, "after": "objection_rejected"},
        )
    return created


@transaction.atomic
def lift_restriction(request: SubjectRequest, *, officer: Any) -> int:
    if not request.events.filter(kind=EventKind.RESTRICTION_LIFT_NOTIFIED).exists():
        raise RequestError(_("The requester must be told before the restriction is lifted."))
    if request.jobs.filter(action=Capability.LIFT_RESTRICTION).exists():
        raise RequestError(_("The restriction is already being lifted."))
    created = create_lift_jobs(request)
    record(request, EventKind.RESTRICTION_LIFTED, actor=officer, data={"systems": created})
    transaction.on_commit(lambda: advance(request.pk))
    return created
