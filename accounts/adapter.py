"""The allauth customisation points: where people land after login, how MFA secrets are kept."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.urls import reverse

from accounts.roles import is_officer
from dsr.core.crypto import decrypt_text, encrypt_text


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if is_officer(request.user):
            return reverse("staff:dashboard")
        return str(super().get_login_redirect_url(request))


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    # TOTP seeds and recovery-code seeds are encrypted in the database.
    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
