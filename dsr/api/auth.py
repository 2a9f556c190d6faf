"""API keys on every call: ``Authorization: Bearer <key>``, the key's scopes and rate limit."""

import logging
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from dsr.api.errors import ApiError
from dsr.models import ApiKey
from dsr.services import api_keys

logger = logging.getLogger(__name__)


class KeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_keys.authenticate(token)
        if key is None:
            logger.warning("API call refused: unknown, revoked or expired key")
            return None
        if not api_keys.within_rate(key):
            raise ApiError(429, "rate_limited", _("Too many calls with this key; wait a little."))
        return key


def key_of(request: HttpRequest) -> ApiKey:
    key: Any = getattr(request, "auth", None)
    assert isinstance(key, ApiKey)  # the auth ran before any endpoint
    return key


def require(request: HttpRequest, scope: str) -> ApiKey:
    key = key_of(request)
    if not api_keys.has_scope(key, scope):
        raise ApiError(
            403,
            "scope_missing",
            _("This key lacks the scope this call needs (%(scope)s).") % {"scope": scope},
        )
    return key


def concerns(request: HttpRequest, request_id: int) -> None:
    """Note the request this call concerns, for its audit log entry."""
    request.api_request_id = request_id  # type: ignore[attr-defined]
