"""Direct transmission (Art. 20(2)): the requester confirms it; the recipient downloads."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dsr.core.errors import RequestError
from dsr.core.files import FileRefused
from dsr.core.tokens import request_from_status_token
from dsr.exports.package import read_package
from dsr.services import transmission
from dsr.views.access import may_see


@require_POST
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The requester, on their status page, confirms the recipient they named on the form."""
    subject_request = request_from_status_token(token)
    if subject_request is None or not may_see(request, subject_request):
        return redirect("dsr:status", token)
    try:
        transmission.confirm(subject_request)
    except RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Confirmed. When your answer is ready, the other company receives a download link."),
        )
    return redirect("dsr:status", token)


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponseBase:
    """The recipient's signed, expiring link: the same package, decrypted on the way out, and
    every download recorded."""
    found = transmission.for_download(token)
    if found is None:
        return render(request, "dsr/transmission_gone.html", status=410)
    sent, package = found
    try:
        content = read_package(package)
    except FileRefused as exc:
        return render(request, "dsr/file_refused.html", {"message": str(exc)}, status=409)
    transmission.downloaded(sent, package)
    response = StreamingHttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{sent.request.reference}.zip"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
