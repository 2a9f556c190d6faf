"""The page behind a manual task's signed link."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from connectors import manual, registry
from connectors.forms import ManualTaskForm
from dsr.services.files import Upload


def manual_task(request: HttpRequest, token: str) -> HttpResponse:
    task = manual.task_from_token(token)
    if task is None:
        return render(request, "dsr/link_invalid.html", {"outcome": "none"}, status=410)
    job = task.job
    form = ManualTaskForm(request.POST or None, request.FILES or None, action=job.action)
    if request.method == "POST" and task.completed_at is None and form.is_valid():
        data = form.cleaned_data
        file = data.get("upload")
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
    return render(
        request,
        "connectors/manual_task.html",
        {
            "task": task,
            "job": job,
            "item": job.request,
            "system": registry.systems().get(job.system),
            "form": form,
        },
    )
