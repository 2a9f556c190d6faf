"""The page behind a manual task's signed link."""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors import registry
from connectors.backends.webhook import WebhookConnector
from connectors.webhook import SignatureError, callback_url, signed_headers, verify
from dsr.core.errors import RequestError
from dsr.core.files import Upload
from dsr.forms import detail_rows
from dsr.models import JobStatus
from dsr.processing import callbacks, manual
from dsr.system_forms import ManualTaskForm


def manual_task(request: HttpRequest, token: str) -> HttpResponse:
    task = manual.task_from_token(token)
    if task is None:
        return render(request, "dsr/link_invalid.html", {"outcome": "none"}, status=410)
    job = task.job
    open_task = (
        task.completed_at is None
        and job.status == JobStatus.WAITING
        # Lifting a restriction goes on after the request closed (a rejected objection).
        and (job.request.is_open or job.action == "lift_restriction")
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
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            task.refresh_from_db()
            open_task = False
    return render(
        request,
        "dsr/manual_task.html",
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


@csrf_exempt  # signed instead: the HMAC over the raw body is checked before anything else
@require_POST
def webhook_callback(request: HttpRequest, alias: str, request_id: str) -> HttpResponse:
    """A status callback from an in-house system or OpenDSR processor (2.0 or 1.0 header
    names), accepted only with a valid signature over the raw body, checked before anything of
    the body is read (403 otherwise), and only if it names this very URL as its callback."""
    request_id = str(request_id)

    try:
        backend = registry.connector(alias)
    except Exception:
        return JsonResponse({"error": "unknown system"}, status=404)
    if not isinstance(backend, WebhookConnector):
        return JsonResponse({"error": "unknown system"}, status=404)
    raw = request.body
    signature, timestamp, _version = signed_headers(request.headers)
    try:
        verify(backend.secret, raw, signature, timestamp)
    except SignatureError as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    try:
        payload = json.loads(raw)
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    if not isinstance(payload, dict) or payload.get("subject_request_id") != request_id:
        return JsonResponse({"error": "request id mismatch"}, status=400)
    if payload.get("status_callback_url") != callback_url(alias, request_id):
        return JsonResponse({"error": "status_callback_url is not this endpoint"}, status=400)
    if callbacks.accept(backend, request_id=request_id, payload=payload):
        return JsonResponse({"accepted": True})
    return JsonResponse({"error": "no open job for this request"}, status=404)
