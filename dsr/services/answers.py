"""Releasing the answer package, renewing its link, and deleting it when it expires."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.models import AnswerPackage, EventKind, SubjectRequest
from dsr.services.requests import RequestError, _send, record


@transaction.atomic
def release(package: AnswerPackage, *, officer: User) -> None:
    """The officer has looked at the package: it goes to the requester, the request closes."""
    package = AnswerPackage.objects.select_for_update().get(pk=package.pk)
    request = package.request
    if package.released_at is not None:
        raise RequestError(_("This answer has already been sent."))
    if not request.events.filter(kind=EventKind.PROCESSING_FINISHED).exists():
        raise RequestError(_("Not every system has answered yet."))
    if request.jobs.exclude(status__in=["succeeded", "skipped"]).exists():
        raise RequestError(_("A system's job failed or is still open."))
    package.released_at = timezone.now()
    package.released_by = officer
    package.expires_at = timezone.now() + timedelta(days=settings.DSR_PACKAGE_DAYS)
    package.save(update_fields=["released_at", "released_by", "expires_at"])
    record(
        request,
        EventKind.ANSWER_RELEASED,
        actor=officer,
        data={"package": package.pk, "sha256": package.sha256},
    )
    _send(request, "answer_ready")


@transaction.atomic
def reissue(package: AnswerPackage, *, officer: User) -> None:
    if package.released_at is None:
        raise RequestError(_("This answer has not been sent yet."))
    if package.deleted_at is not None:
        raise RequestError(_("This package has been deleted; build the answer again."))
    package.expires_at = timezone.now() + timedelta(days=settings.DSR_PACKAGE_DAYS)
    package.save(update_fields=["expires_at"])
    record(package.request, EventKind.ANSWER_REISSUED, actor=officer, data={"package": package.pk})
    _send(package.request, "answer_ready")


def downloaded(package: AnswerPackage, request: SubjectRequest) -> None:
    record(request, EventKind.ANSWER_DOWNLOADED, data={"package": package.pk})


def purge_expired(*, now: datetime | None = None) -> int:
    """Expired packages, and the encrypted pages they were built from, are deleted."""
    from connectors.models import ExportPart

    now = now or timezone.now()
    purged = 0
    for package in AnswerPackage.objects.filter(deleted_at__isnull=True, expires_at__lt=now):
        if package.storage_name:
            default_storage.delete(package.storage_name)
        for part in ExportPart.objects.filter(job__request=package.request):
            default_storage.delete(part.storage_name)
            part.delete()
        package.deleted_at = now
        package.save(update_fields=["deleted_at"])
        purged += 1
    return purged
