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


def check_trusted_proxies(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Behind a TLS proxy with no trusted proxy counted, every visitor has the proxy's address:
    the rate limits become one limit for everyone (a few bad posts close filing for all)."""
    from django.conf import settings

    behind_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    if behind_proxy and int(settings.DSR_TRUSTED_PROXIES) == 0:
        return [
            checks.Warning(
                "Behind a TLS proxy, but DSR_TRUSTED_PROXIES is 0: every client is counted as "
                "the proxy's address by the rate limits.",
                hint="Set DSR_TRUSTED_PROXIES to the number of proxies that append to "
                "X-Forwarded-For (1 behind one proxy).",
                obj="DSR_TRUSTED_PROXIES",
                id="dsr.W001",
            )
        ]
    return []
