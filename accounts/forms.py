"""The MFA code forms: allauth's, with a used code refused for as long as it is valid.

With a tolerance of one step (``MFA_TOTP_TOLERANCE``: a code typed as it rolls over, or
while a loaded server answers, still counts) a code stays valid for three periods; allauth
remembers a used code for one period only. These forms remember it for the whole window, so
a code seen over someone's shoulder cannot be used again.
"""

from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from django.core.cache import cache


def valid_seconds() -> int:
    """How long one code is accepted: its own period and the tolerated ones either side."""
    return int(app_settings.TOTP_PERIOD) * (2 * int(app_settings.TOTP_TOLERANCE) + 1)


class _OncePerWindow:
    user: Any
    authenticator: Authenticator

    def clean_code(self) -> str:
        code: str = super().clean_code()  # type: ignore[misc]  # allauth's form, mixed in below
        if self.authenticator.type == Authenticator.Type.TOTP:
            key = f"dsr.mfa.totp.used:{self.user.pk}:{code.strip()}"
            if not cache.add(key, "1", timeout=valid_seconds()):
                raise get_adapter().validation_error("incorrect_code")
        return code


class OnceAuthenticateForm(_OncePerWindow, AuthenticateForm):  # type: ignore[misc]
    pass


class OnceReauthenticateForm(_OncePerWindow, ReauthenticateForm):  # type: ignore[misc]
    pass
