"""Every API call with a valid key goes into the audit log: which key, which route, what came
of it. The route is the pattern (``api/v1/requests/<reference>``), never the values."""

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from dsr.core import audit
from dsr.models import ApiKey, AuditKind


class ApiAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key = getattr(request, "auth", None)
        if isinstance(key, ApiKey):
            match = request.resolver_match
            audit.append(
                AuditKind.API_CALL,
                request_id=getattr(request, "api_request_id", None),
                actor_id=key.created_by_id,
                data={
                    "key": key.prefix,
                    "method": request.method,
                    "route": match.route if match else "",
                    "status": response.status_code,
                },
            )
        return response
