"""The gate in front of every staff page: an officer role *and* multi-factor authentication."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_officer


def staff_gate(request: HttpRequest) -> HttpResponse | None:
    """None if the request may see a staff page, otherwise the response that turns it away."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_officer(user):
        raise PermissionDenied(_("This page is for privacy officers."))
    if not is_mfa_enabled(user):
        messages.warning(
            request,
            _("Staff pages need two-factor authentication. Please set it up to continue."),
        )
        return redirect("mfa_activate_totp")
    return None


def staff_user(request: HttpRequest) -> User:
    """The officer behind a request that passed the gate."""
    assert isinstance(request.user, User)
    return request.user


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return staff_gate(request) or view(request, *args, **kwargs)

    return wrapped
