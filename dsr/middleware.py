"""Headers on every response: the Content-Security-Policy, and ``Cache-Control: no-store``
wherever a page may show personal data (everything but the public start and form pages)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Pages anyone may load that never show a person's data: a shared or back-button cache may
# keep them. A form page only when fetched: its answer to a post repeats what was typed.
PUBLIC = frozenset({"home", "dsr:start", "dsr:intake", "healthz", "gpc_json"})


class SecurityHeadersMiddleware:
    """After WhiteNoise, so static files keep their long-lived caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.DSR_CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        if not public(request):
            add_never_cache_headers(response)
        return response


def public(request: HttpRequest) -> bool:
    match = request.resolver_match
    return request.method in ("GET", "HEAD") and match is not None and match.view_name in PUBLIC
