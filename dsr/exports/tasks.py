"""Building answer packages on the ``exports`` queue (ids in, nothing personal in the message)."""

from celery import shared_task

from dsr.exports.package import build
from dsr.models import SubjectRequest


@shared_task(name="dsr.exports.tasks.build_answer_package", acks_late=True)
def build_answer_package(request_id: int) -> int | None:
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None or not request.is_open:
        return None
    return build(request).pk
