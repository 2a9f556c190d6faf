"""The page a staff invitation links to."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import invitations


@login_required
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Opened signed in to the invited account: the enrolment pages open for this session."""
    invitation = invitations.from_token(token, user=request.user)
    if invitation is None:
        return render(request, "accounts/staff_invitation_invalid.html", status=403)
    invitations.accept(request.session, invitation)
    return redirect("mfa_activate_totp")
