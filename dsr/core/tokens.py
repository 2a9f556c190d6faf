"""Signed links to a request's status page."""

from django.core import signing

from dsr.models import (
    SubjectRequest,
)

STATUS_SALT = "dsr.status-link"


def status_token(request: SubjectRequest) -> str:
    return signing.dumps({"r": request.pk}, salt=STATUS_SALT, compress=True)


def request_from_status_token(token: str) -> SubjectRequest | None:
    try:
        values = signing.loads(token, salt=STATUS_SALT)
    except signing.BadSignature:
        return None
    return SubjectRequest.objects.filter(pk=values.get("r")).first()
