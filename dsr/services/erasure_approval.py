"""Approving an erasure: the fan-out of an erasure request starts only after it."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dsr.core import four_eyes
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import (
    EventKind,
    Proposal,
    ProposalKind,
    SubjectRequest,
)
from dsr.processing.start import start_if_ready


@transaction.atomic
def approve(
    request: SubjectRequest, *, officer: Any, reason: str = "", proposal: Proposal | None = None
) -> None:
    """An officer approves processing that needs it (erasure). Where erasure is under four
    eyes (DSR_FOUR_EYES) this runs only as the approval of a proposal that this officer, not
    the proposer, approved: ``dsr.services.decisions`` is the way in."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if request.events.filter(kind=EventKind.APPROVED).exists():
        raise RequestError(_("This request is already approved."))
    try:
        four_eyes.authorise(request, ProposalKind.ERASURE, officer=officer, proposal=proposal)
    except RequestError as exc:
        raise RequestError(str(exc)) from exc
    data = (
        {}
        if proposal is None
        else {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    )
    record(request, EventKind.APPROVED, actor=officer, reason=reason.strip(), data=data)
    transaction.on_commit(lambda: start_if_ready(SubjectRequest.objects.get(pk=request.pk)))
