"""Building answer packages on the ``exports`` queue (ids in, nothing personal in the message)."""

from celery import shared_task

from dsr.core import taskqueue
from dsr.exports.package import build
from dsr.models import SubjectRequest

BUILD_PACKAGE = "dsr.exports.tasks.build_answer_package"


def owe_package(request_id: int) -> None:
    """The answer package is owed, in the caller's transaction: built after the commit, and
    again by the sweep if the message was lost or the worker died (a build is repeatable)."""
    taskqueue.owe(
        BUILD_PACKAGE, request_id, label="package", request_id=request_id, repeatable=True
    )


@shared_task(name=BUILD_PACKAGE, base=taskqueue.Owed, acks_late=True)
def build_answer_package(request_id: int) -> int | None:
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None or not request.is_open:
        return None
    return build(request).pk
