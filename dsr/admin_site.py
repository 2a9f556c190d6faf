"""Django admin behind the same gate as every staff page (role + MFA, allauth login)."""

from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts.access import staff_gate


class DSRAdminSite(admin.AdminSite):
    site_header = _("DSR portal administration")
    site_title = _("DSR portal")
    index_title = _("Configuration")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_permission(request) and is_mfa_enabled(request.user))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Never Django's own password-only login form: send people through allauth (and MFA).
        response = staff_gate(request)
        if response is not None:
            return response
        if self.has_permission(request):
            return redirect("admin:index")
        # Signed in with MFA but not a privacy admin. Django's own form is never shown: it
        # would let anyone who knows a password sign in without the second factor.
        raise PermissionDenied(_("The configuration is for privacy admins."))
