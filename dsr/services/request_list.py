"""'E-mail me a link to all my requests': one signed, expiring link, no account needed."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from dsr.core import ratelimit
from dsr.core.messages import REQUEST_LIST_TEMPLATE, send_to_requester
from dsr.models import RequesterType, SubjectRequest


def answered_at(email: str) -> QuerySet[SubjectRequest]:
    """The requests whose answers go to this address: the person's own, and an agent's (the
    answer goes to the agent, never to the person they act for)."""
    address = email.strip().lower()
    if not address:
        return SubjectRequest.objects.none()
    return SubjectRequest.objects.filter(
        Q(requester_type=RequesterType.SUBJECT, email__iexact=address)
        | Q(requester_type=RequesterType.AGENT, agent_email__iexact=address)
    ).order_by("-received_at", "-pk")


@transaction.atomic
def send_list_link(*, email: str) -> None:
    """Owe one e-mail with the link, if the address has requests. The caller answers the same
    whatever happens here: whether an address has requests is nobody else's business. An
    address gets only ``DSR_RATE_REQUEST_LIST_PER_EMAIL`` such e-mails, whoever asks."""
    latest = answered_at(email).first()
    if latest is None:
        return
    if not ratelimit.allow(
        "request-list-email", email.strip().lower(), settings.DSR_RATE_REQUEST_LIST_PER_EMAIL
    ):
        return
    send_to_requester(latest, REQUEST_LIST_TEMPLATE)
