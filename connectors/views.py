"""The page behind a manual task's signed link."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from connectors import manual, registry
from connectors.forms import ManualTaskForm
from connectors.models import JobStatus
from dsr.forms import detail_rows
from dsr.services.files import Upload


def manual_task(request: HttpRequest, token: str) -> HttpResponse:
    task = manual.task_from_token(token)
    if task is None:
        return render(request, "dsr/link_invalid.html", {"outcome": "none"}, status=410)
    job = task.job
    open_task = (
        task.completed_at is None and job.status == JobStatus.WAITING and job.request.is_open
    )
    form = ManualTaskForm(request.POST or None, request.FILES or None, action=job.action)
    if request.method == "POST" and open_task and form.is_valid():
        data = form.cleaned_data
        file = data.get("upload")
        if file and file.size > settings.DSR_UPLOAD_MAX_BYTES:
            form.add_error("upload", _("The file is too large."))
            file = None
    if request.method == "POST" and open_task and form.is_valid():
        try:
            manual.complete(
                task,
                note=data.get("note", ""),
                changed=data.get("changed") or 0,
                nothing_found=bool(data.get("nothing_found")),
                upload=Upload(content=file.read()) if file else None,
                filename=file.name if file else "",
            )
        except manual.TaskError as exc:
            form.add_error(None, str(exc))
        else:
            task.refresh_from_db()
            open_task = False
    return render(
        request,
        "connectors/manual_task.html",
        {
            "task": task,
            "job": job,
            "item": job.request,
            "system": registry.systems().get(job.system),
            "form": form,
            "open_task": open_task,
            # What the owner must do for this right (the corrected values, which consent).
            "details": [
                row
                for right in job.request.requested_rights.all()
                for row in detail_rows(right.right, right.details)
            ]
            if open_task
            else [],
        },
    )
