"""The allauth customisation points: where people land after login, how MFA secrets are kept."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.urls import reverse

from accounts.roles import is_officer
from dsr.core.crypto import decrypt_text, encrypt_text
from dsr.core.ratelimit import forwarded_client


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if is_officer(request.user):
            return reverse("staff:dashboard")
        return str(super().get_login_redirect_url(request))

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's login, sign-up and reset limits count per client: behind our proxies that
        # is the right-most X-Forwarded-For entry they did not write (DSR_TRUSTED_PROXIES), the
        # same address our own limits count, never the proxy's.
        return forwarded_client(request.META)


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    # TOTP seeds and recovery-code seeds are encrypted in the database.
    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
