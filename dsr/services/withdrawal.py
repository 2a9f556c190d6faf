"""The requester withdraws their request."""

from django.db import transaction
from django.utils.translation import gettext as _

from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import (
    EventKind,
    SubjectRequest,
)


@transaction.atomic
def withdraw(request: SubjectRequest) -> None:
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    record(request, EventKind.WITHDRAWN)
    send_to_requester(request, "withdrawn")
