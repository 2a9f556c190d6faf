"""Systems without an API: their owner gets a task with a signed link, reminders, and the
officers hear about it before the request's due date."""

import csv
import io
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors import registry
from connectors.base import Capability
from dsr.core import taskqueue
from dsr.core.errors import RequestError
from dsr.core.files import Upload
from dsr.core.mail import send_email
from dsr.models import CLOSED_STATUSES, ConnectorJob, JobStatus, ManualTask
from dsr.processing.dispatch import advance
from dsr.processing.outcomes import store_part

TASK_SALT = "dsr.manual-task"
SEND_TASK_EMAIL = "dsr.processing.tasks.send_manual_task_email"
SEND_ESCALATION = "dsr.processing.tasks.send_escalation_email"


def task_token(task: ManualTask) -> str:
    return signing.dumps({"t": task.pk}, salt=TASK_SALT, compress=True)


def task_from_token(token: str) -> ManualTask | None:
    try:
        values = signing.loads(
            token, salt=TASK_SALT, max_age=timedelta(days=settings.DSR_MANUAL_TASK_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    return ManualTask.objects.select_related("job__request").filter(pk=values.get("t")).first()


@transaction.atomic
def hand_over(job: ConnectorJob) -> ManualTask:
    """Create the owner's task for a waiting job and send it (once)."""
    config = registry.systems()[job.system]
    owner = config.owner_email or str(config.options.get("owner_email", ""))
    task, created = ManualTask.objects.get_or_create(job=job, defaults={"owner_email": owner})
    if created:
        _send(task, "manual_task")
    return task


def _send(task: ManualTask, template: str) -> None:
    taskqueue.owe(
        SEND_TASK_EMAIL, task.pk, template, label=template, request_id=task.job.request_id
    )


def deliver(task_id: int, template: str) -> bool:
    """Render and send the owner's e-mail (in the portal's language: owners are staff)."""
    from django.urls import reverse

    task = ManualTask.objects.select_related("job__request").filter(pk=task_id).first()
    if task is None or not task.owner_email:
        return False
    job = task.job
    config = registry.systems()[job.system]
    link = settings.DSR_BASE_URL + reverse("systems:manual_task", args=[task_token(task)])
    send_email(
        template=template,
        to=task.owner_email,
        context={
            "task": task,
            "job": job,
            "request": job.request,
            "system_name": config.name,
            "action": job.get_action_display(),
            "instructions": config.options.get("instructions", ""),
            "task_url": link,
            "due_on": job.request.due_on,
        },
        language=settings.LANGUAGE_CODE,
    )
    return True


def parse_records(upload: Upload, name: str) -> tuple[str, list[dict[str, Any]] | None]:
    """CSV and JSON become records; a PDF is kept as a document. Returns (kind, records)."""
    if len(upload.content) > settings.DSR_UPLOAD_MAX_BYTES:
        raise RequestError(_("The file is too large."))
    if upload.content.startswith(b"%PDF-"):
        return "pdf", None
    try:
        text = upload.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(_("The file must be UTF-8 text (CSV or JSON), or a PDF.")) from exc
    if name.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RequestError(
                _("The JSON file cannot be read (line %(line)d).") % {"line": exc.lineno}
            ) from exc
        records = data if isinstance(data, list) else [data]
        if not all(isinstance(record, dict) for record in records):
            raise RequestError(_("The JSON file must hold an object or a list of objects."))
        return "json", records
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RequestError(_("The CSV file needs a header row."))
    return "csv", [dict(row) for row in reader]


@transaction.atomic
def complete(
    task: ManualTask,
    *,
    note: str,
    changed: int = 0,
    nothing_found: bool = False,
    upload: Upload | None = None,
    filename: str = "",
) -> None:
    task = ManualTask.objects.select_for_update().get(pk=task.pk)
    job = ConnectorJob.objects.select_for_update().get(pk=task.job_id)
    if task.completed_at is not None or job.status != JobStatus.WAITING:
        raise RequestError(_("This task has already been completed."))
    result: dict[str, Any] = {"note": note.strip()[:500], "by": "system owner"}
    if job.action == Capability.EXPORT and not nothing_found:
        if upload is None:
            raise RequestError(_("Please upload the data, or tick that nothing was found."))
        _kind, records = parse_records(upload, filename)
        if records is None:
            store_part(
                job,
                category="documents",
                payload=upload.content,
                records=1,
                media_type="application/pdf",
            )
            result["records"] = 1
        else:
            store_part(job, category="records", payload=_jsonl(records), records=len(records))
            result["records"] = len(records)
    elif job.action == Capability.LOCATE:
        result["found"] = not nothing_found
    else:
        # What the system did by itself stays on record; the owner did the rest by hand
        # (including adding the supplementary statement where the system had no place for it).
        earlier = {k: v for k, v in (job.result or {}).items() if k not in ("note", "could_not")}
        result = {
            **earlier,
            **result,
            "changed": int(earlier.get("changed", 0)) + changed,
            "by_hand": job.result.get("could_not", "") or "manual",
        }
        if job.action == Capability.RECTIFY and _statement(job):
            result["statement_kept"] = True
    task.completed_at = timezone.now()
    task.save(update_fields=["completed_at"])
    ConnectorJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED, result=result, finished_at=timezone.now()
    )
    transaction.on_commit(lambda: advance(job.request_id))


def _statement(job: ConnectorJob) -> str:
    right = job.request.requested_rights.filter(right="rectification").first()
    return str((right.details if right else {}).get("statement") or "").strip()


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in records).encode()


def remind_and_escalate(*, now: Any = None) -> tuple[int, int]:
    """Remind owners of open tasks; tell the officers when the due date comes near."""
    now = now or timezone.now()
    reminded = escalated = 0
    # Only tasks still wanted: the job waits for its owner and the request is open (or the
    # task lifts a restriction, which goes on after a rejected objection closed the request).
    open_tasks = (
        ManualTask.objects.filter(completed_at__isnull=True, job__status=JobStatus.WAITING)
        .exclude(Q(job__request__status__in=CLOSED_STATUSES) & ~Q(job__action="lift_restriction"))
        .select_related("job__request")
    )
    every = timedelta(days=settings.DSR_MANUAL_TASK_REMIND_DAYS)
    for task in open_tasks:
        last = task.reminded_at or task.created_at
        # The mark and the owed e-mail commit together: a crash between them would
        # otherwise record a reminder (or an escalation) that is never sent.
        if now - last >= every:
            with transaction.atomic():
                ManualTask.objects.filter(pk=task.pk).update(reminded_at=now)
                _send(task, "manual_task_reminder")
            reminded += 1
        due = task.job.request.due_on
        days_left = (due - now.date()).days
        if task.escalated_at is None and days_left <= settings.DSR_MANUAL_TASK_ESCALATE_DAYS:
            with transaction.atomic():
                ManualTask.objects.filter(pk=task.pk).update(escalated_at=now)
                _escalate(task)
            escalated += 1
    return reminded, escalated


def _escalate(task: ManualTask) -> None:
    from django.contrib.auth import get_user_model

    officers = (
        get_user_model()
        .objects.filter(is_active=True, groups__permissions__codename="work_cases")
        .distinct()
    )
    for officer in officers.values_list("pk", flat=True):
        taskqueue.owe(
            SEND_ESCALATION,
            task.pk,
            officer,
            label="manual_escalation",
            request_id=task.job.request_id,
            key=f"manual_escalation:{task.pk}:{officer}",
        )


def escalate_to(task_id: int, officer_id: int) -> bool:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    task = ManualTask.objects.select_related("job__request").filter(pk=task_id).first()
    officer = get_user_model().objects.filter(pk=officer_id).first()
    if task is None or officer is None:
        return False
    request = task.job.request
    send_email(
        template="manual_escalation",
        to=officer.email,
        context={
            "task": task,
            "request": request,
            "system_name": registry.systems()[task.job.system].name,
            "due_on": request.due_on,
            "case_url": settings.DSR_BASE_URL + reverse("staff:case", args=[request.reference]),
        },
        language=getattr(officer, "language", "") or settings.LANGUAGE_CODE,
    )
    return True
