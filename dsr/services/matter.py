"""Correcting what a request is about: the matter chooses the supervisory authority its letters
name as competent (LEGAL.md §2), so an officer who finds it wrong corrects it, with a reason."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.controller import competent_authority
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import EventKind, Matter, SubjectRequest


@transaction.atomic
def set_matter(request: SubjectRequest, *, officer: User, matter: str, reason: str) -> None:
    """From now on the letters name the authority for ``matter`` ("" = any other matter);
    letters already sent keep the one they named (the log says when it changed)."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    reason = reason.strip()
    if matter and matter not in Matter.values:
        raise RequestError(_("Choose what the request is about from the list."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if matter == request.matter:
        raise RequestError(_("The request is already recorded as being about this."))
    if not reason:
        raise RequestError(_("Give the reason for the correction; it is kept in the case log."))
    before = competent_authority(request)
    previous, request.matter = request.matter, matter
    request.save(update_fields=["matter"])
    after = competent_authority(request)
    record(
        request,
        EventKind.MATTER_CHANGED,
        actor=officer,
        reason=reason,
        data={
            "from": previous,
            "to": matter,
            "authority_from": before.name if before else "",
            "authority_to": after.name if after else "",
        },
    )
