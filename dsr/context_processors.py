from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.roles import is_officer


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "portal_languages": settings.LANGUAGES,
        "is_officer": is_officer(getattr(request, "user", None)),
    }
