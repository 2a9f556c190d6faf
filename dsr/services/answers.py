"""The answer package: previewing and redacting it, releasing it, renewing its link, and
deleting it when it expires."""

import csv
import io
import itertools
import tempfile
import zipfile
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.exports import portability
from dsr.exports.package import read_package, scratch_dir, withheld_categories
from dsr.exports.report import withheld
from dsr.exports.tasks import owe_package
from dsr.models import (
    AnswerPackage,
    EventKind,
    ExportPart,
    Redaction,
    SubjectRequest,
    WebhookResult,
    Withholding,
)
from dsr.services import fees, transmission


@transaction.atomic
def release(package: AnswerPackage, *, officer: User) -> None:
    """The officer has looked at the package: it goes to the requester, the request closes."""
    package = AnswerPackage.objects.select_for_update().get(pk=package.pk)
    request = package.request
    if package.released_at is not None:
        raise RequestError(_("This answer has already been sent."))
    if package.deleted_at is not None:
        raise RequestError(_("This package has been replaced; send the new one."))
    if fees.outstanding(request) is not None:
        raise RequestError(fees.unpaid_message())
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
    # Art. 20(2): a confirmed recipient gets its link to the same package; the letter says so.
    transmission.send_on_release(package, officer=officer)
    send_to_requester(request, "answer_ready")


@transaction.atomic
def reissue(package: AnswerPackage, *, officer: User) -> None:
    if package.released_at is None:
        raise RequestError(_("This answer has not been sent yet."))
    if package.deleted_at is not None:
        raise RequestError(_("This package has been deleted; build the answer again."))
    package.expires_at = timezone.now() + timedelta(days=settings.DSR_PACKAGE_DAYS)
    package.save(update_fields=["expires_at"])
    record(package.request, EventKind.ANSWER_REISSUED, actor=officer, data={"package": package.pk})
    send_to_requester(package.request, "answer_ready")
    transmission.renew_on_reissue(package, officer=officer)


PREVIEW_ROWS = 25


@transaction.atomic
def redact(
    request: SubjectRequest,
    *,
    officer: User,
    text: str,
    reason: str,
    system: str = "",
    category: str = Withholding.THIRD_PARTY,
) -> None:
    """Take an item out of the answer before it goes (Art. 15(4)); the package is built again.
    The person sees the category's marker in its place, and the answer letter its ground."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    text, reason, system = text.strip(), reason.strip(), system.strip()
    if len(text) < 2:
        raise RequestError(_("Give the text to redact (at least two characters)."))
    if not reason:
        raise RequestError(_("Give the reason for the redaction; it is kept in the case log."))
    if category not in Withholding.values:
        raise RequestError(_("Say why the text is withheld."))
    if system and not request.jobs.filter(system=system).exists():
        raise RequestError(_("That system did not take part in this request."))
    package = request.packages.filter(deleted_at__isnull=True).first()
    if package is None:
        raise RequestError(_("There is no answer package yet."))
    if package.released_at is not None:
        raise RequestError(_("This answer has already been sent."))
    redaction = Redaction.objects.create(
        request=request,
        text=text,
        reason=reason,
        system=system,
        category=category,
        officer=officer,
    )
    # The reason goes into the log; the redacted text itself stays in the redaction only.
    record(
        request,
        EventKind.REDACTED,
        actor=officer,
        reason=reason,
        data={
            "redaction": redaction.pk,
            "system": system or "*",
            "category": category,
            "package": package.pk,
        },
    )
    _discard(package)
    owe_package(request.pk)


@transaction.atomic
def withdraw_redaction(redaction: Redaction, *, officer: User, reason: str) -> None:
    """Take a redaction back before the answer is sent (it was a mistake, or too wide); the
    package is built again without it. The redacted text goes with the redaction: like the
    redaction's own event, the log keeps the reason, never the text."""
    request = SubjectRequest.objects.select_for_update().get(pk=redaction.request_id)
    reason = reason.strip()
    if not reason:
        raise RequestError(_("Give the reason for withdrawing the redaction."))
    if request.packages.filter(released_at__isnull=False, deleted_at__isnull=True).exists():
        raise RequestError(_("This answer has already been sent."))
    current = Redaction.objects.select_for_update().filter(pk=redaction.pk).first()
    if current is None:
        raise RequestError(_("This redaction has already been withdrawn."))
    record(
        request,
        EventKind.REDACTION_WITHDRAWN,
        actor=officer,
        reason=reason,
        data={"redaction": current.pk, "system": current.system or "*"},
    )
    current.delete()
    package = request.packages.filter(deleted_at__isnull=True).first()
    if package is not None:
        _discard(package)
    owe_package(request.pk)


def rebuild_unsent(request: SubjectRequest) -> bool:
    """What the answer may hold changed before it was sent (a forwarding took a system's data
    out of it): the unsent package is discarded and built again. False if there is none."""
    package = request.packages.filter(deleted_at__isnull=True, released_at__isnull=True).first()
    if package is None:
        return False
    _discard(package)
    owe_package(request.pk)
    return True


def _discard(package: AnswerPackage, now: datetime | None = None) -> None:
    """Mark the package deleted; its file goes once that is committed (a rollback keeps both)."""
    name = package.storage_name
    package.deleted_at = now or timezone.now()
    package.save(update_fields=["deleted_at"])
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def preview(package: AnswerPackage, *, rows: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """What the package's data files hold, as sent: each file's header and first rows."""
    files = []
    with tempfile.TemporaryFile(dir=scratch_dir()) as clear:
        for chunk in read_package(package):
            clear.write(chunk)
        clear.seek(0)
        with zipfile.ZipFile(clear) as archive:
            for name in sorted(archive.namelist()):
                if not (name.startswith("data/") and name.endswith(".csv")):
                    continue
                with archive.open(name) as entry:
                    reader = csv.reader(io.TextIOWrapper(entry, encoding="utf-8", newline=""))
                    header = next(reader, [])
                    shown = list(itertools.islice(reader, rows))
                files.append(
                    {
                        "name": name,
                        "header": header,
                        "rows": shown,
                        "total": package.manifest["files"][name]["records"],
                    }
                )
    return files


REPORT = "report.pdf"


def report_pdf(package: AnswerPackage) -> bytes:
    """The package's ``report.pdf``, as the requester will get it."""
    with tempfile.TemporaryFile(dir=scratch_dir()) as clear:
        for chunk in read_package(package):
            clear.write(chunk)
        clear.seek(0)
        with zipfile.ZipFile(clear) as archive:
            return archive.read(REPORT)


def answer_context(request: SubjectRequest) -> dict[str, Any]:
    """What the answer letter says about the package: what was withheld from it and why, and
    what an Art. 20 answer leaves out and why."""
    package = request.packages.filter(deleted_at__isnull=True).first()
    excluded = package.manifest.get("excluded", []) if package is not None else []
    return {
        "withheld": withheld(withheld_categories(request)),
        "left_out": portability.Explained(excluded),
        **transmission.letter_context(request),
    }


def downloaded(package: AnswerPackage, request: SubjectRequest) -> None:
    record(request, EventKind.ANSWER_DOWNLOADED, data={"package": package.pk})


def purge_expired(*, now: datetime | None = None) -> int:
    """Expired packages, and the encrypted pages they were built from, are deleted."""
    now = now or timezone.now()
    purged = 0
    for package in AnswerPackage.objects.filter(deleted_at__isnull=True, expires_at__lt=now):
        for part in ExportPart.objects.filter(job__request=package.request):
            default_storage.delete(part.storage_name)
            part.delete()
        # What in-house systems reported by callback holds the same data: it goes too.
        WebhookResult.objects.filter(job__request=package.request).delete()
        _discard(package, now)
        purged += 1
    return purged
