"""Owed work that failed (an e-mail, an answer package): an officer tries it again."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dsr.core import taskqueue
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.models import Delivery, DeliveryState, EventKind


@transaction.atomic
def retry_delivery(delivery: Delivery, *, officer: Any) -> None:
    if delivery.state != DeliveryState.FAILED:
        raise RequestError(_("Only a failed delivery can be tried again."))
    error = delivery.error
    if not taskqueue.retry(delivery):
        raise RequestError(_("The delivery changed meanwhile; please look again."))
    assert delivery.request is not None
    record(
        delivery.request,
        EventKind.DELIVERY_RETRIED,
        actor=officer,
        data={"delivery": delivery.pk, "what": delivery.label, "error": error},
    )
