"""The authenticator enrolment pages refuse a staff member without an invitation.

allauth lets anyone signed in add an authenticator; a staff member who has none yet may do so
only in a session where they opened a valid invitation (accounts.invitations). Staff members
who already have one passed it when they signed in, and may add another.
"""

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from accounts import invitations
from accounts.roles import is_officer

# allauth's pages that create an authenticator (passkey sign-up is off: MFA_PASSKEY_SIGNUP).
ENROLMENT_URL_NAMES = frozenset({"mfa_activate_totp", "mfa_add_webauthn", "mfa_signup_webauthn"})


def _enrolment_page(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).url_name in ENROLMENT_URL_NAMES
    except Resolver404:
        return False


class StaffEnrolmentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not _enrolment_page(request) or not is_officer(user) or is_mfa_enabled(user):
            return self.get_response(request)
        if invitations.in_session(request.session, user) is None:
            return render(request, "accounts/staff_invitation_needed.html", status=403)
        response = self.get_response(request)
        if is_mfa_enabled(user) and invitations.use(request.session, user):
            # The first authenticator used the invitation up: on to the work. The recovery
            # codes stay under the account's two-factor page, which the message names.
            messages.success(
                request,
                _(
                    "Two-factor authentication is set up. Keep your recovery codes somewhere "
                    "safe: you find them under Account, Two-factor authentication."
                ),
            )
            return redirect("staff:dashboard")
        return response
