"""System checks of the portal's own settings (``manage.py check``; runserver and migrate run
them too). Messages are for the admin and stay English, like Django's own checks."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from dsr.core.four_eyes import four_eyes_rights


def check_four_eyes(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """DSR_FOUR_EYES names only known rights: a typo must stop the portal, not quietly drop
    the second officer from a decision."""
    try:
        four_eyes_rights()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="List rights by name, separated by commas; leave it empty for one officer.",
                obj="DSR_FOUR_EYES",
                id="dsr.E001",
            )
        ]
    return []
