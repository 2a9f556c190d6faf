"""Which requests are the same person's: one rule for every place that must know (a request
held past its period, a scheduled erasure that waits for an open request)."""

from django.db.models import Q

from dsr.models import CLOSED_STATUSES, SubjectRequest


def same_person(request: SubjectRequest) -> Q:
    """The same person's requests: the same e-mail address (case-insensitive), the same
    account, or linked as a duplicate either way. Not a customer number alone: anybody can
    type one."""
    found = Q(duplicate_of=request.pk)
    if request.duplicate_of_id is not None:
        found |= Q(pk=request.duplicate_of_id)
    if request.email:
        found |= Q(email__iexact=request.email)
    if request.account_id is not None:
        found |= Q(account=request.account_id)
    return found


def open_request_of_same_person(request: SubjectRequest) -> SubjectRequest | None:
    """Another open request of the same person (the oldest), if there is one."""
    return (
        SubjectRequest.objects.filter(same_person(request))
        .exclude(pk=request.pk)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("pk")
        .first()
    )
