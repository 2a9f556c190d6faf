"""OpenDSR endpoints of the portal as processor: discovery, create, status, cancel, results.

Thin: authenticate the controller by its bearer token, check the signature over the raw body
before anything of it is read (403), then hand over to ``dsr.services.opendsr_inbound``.
Answers are JSON, signed under the names of the version the controller called (2.0 under
``/opendsr/v1/``, 1.0 under ``/opendsr/opengdpr_requests``); errors have the specification's
shape and never carry what the request said about the person.
"""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from connectors.webhook import SignatureError, signed_headers, verify
from dsr.core.files import FileRefused
from dsr.models import OpenDSRController
from dsr.services import opendsr_inbound
from dsr.services.opendsr_inbound import Conflict, Invalid


def error(status: int, message: str, *, reason: str, domain: str = "Validation") -> JsonResponse:
    response = JsonResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"domain": domain, "reason": reason, "message": message}],
            }
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _signed(
    controller: OpenDSRController, body: dict[str, Any], version: str, status: int = 200
) -> HttpResponse:
    raw = json.dumps(body).encode()
    response = HttpResponse(raw, status=status, content_type="application/json")
    for name, value in opendsr_inbound.response_headers(controller, raw, version).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _controller(request: HttpRequest) -> tuple[OpenDSRController | None, HttpResponse | None]:
    """The calling controller, once its token and its signature over the raw body hold."""
    controller = opendsr_inbound.authenticate(request.headers.get("Authorization", ""))
    if controller is None:
        return None, error(
            401, "unknown or missing bearer token", reason="Unauthorized", domain="Authentication"
        )
    signature, timestamp, _names = signed_headers(request.headers)
    try:
        # A POST is refused if seen before; a GET or DELETE has no body to make it unique.
        verify(
            opendsr_inbound.secret_of(controller),
            request.body,
            signature,
            timestamp,
            once=request.method == "POST",
        )
    except SignatureError as exc:
        return None, error(403, str(exc), reason="InvalidSignature", domain="Authentication")
    return controller, None


@require_GET
def discovery(request: HttpRequest, version: str = "2.0") -> HttpResponse:
    return JsonResponse(opendsr_inbound.discovery(version))


@csrf_exempt  # authenticated by bearer token and signature, not by a session
@require_http_methods(["POST"])
def requests(request: HttpRequest, version: str = "2.0") -> HttpResponse:
    controller, refused = _controller(request)
    if controller is None:
        return refused  # type: ignore[return-value]
    raw = request.body
    try:
        payload = json.loads(raw)
    except ValueError:
        return error(400, "the body is not JSON", reason="MalformedJson")
    try:
        created = opendsr_inbound.create(
            controller=controller, payload=payload, raw=raw, version=version
        )
    except Conflict as exc:
        return error(409, exc.message, reason=exc.reason)
    except Invalid as exc:
        return error(400, exc.message, reason=exc.reason)
    return _signed(controller, created, version, status=201)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def request_detail(
    request: HttpRequest, subject_request_id: str, version: str = "2.0"
) -> HttpResponse:
    controller, refused = _controller(request)
    if controller is None:
        return refused  # type: ignore[return-value]
    inbound = opendsr_inbound.find(controller, subject_request_id)
    if inbound is None:
        return error(404, "no such subject_request_id", reason="NotFound")
    if request.method == "GET":
        return _signed(controller, opendsr_inbound.status_of(inbound), version)
    try:
        cancelled = opendsr_inbound.cancel(inbound)
    except Conflict as exc:
        return error(400, exc.message, reason=exc.reason)
    return _signed(controller, cancelled, version, status=202)


@require_GET
def results(request: HttpRequest, token: str) -> HttpResponseBase:
    """The released package behind a ``results_url``: for the controller it was made for, with
    its token, while the package lives; decrypted on the way out, and recorded."""
    controller, refused = _controller(request)
    if controller is None:
        return refused  # type: ignore[return-value]
    found = opendsr_inbound.for_download(token, controller)
    if found is None:
        return error(410, "the results are gone", reason="Gone", domain="Results")
    inbound, package = found
    try:
        content = opendsr_inbound.download(inbound, package)
    except FileRefused:
        return error(
            409,
            "the results file failed its integrity check",
            reason="FileRefused",
            domain="Results",
        )
    response = StreamingHttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{inbound.request.reference}.zip"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    return response
