"""The page a staff invitation links to."""

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts import invitations


@never_cache
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Opened signed in to the invited account: the enrolment pages open for this session.
    Opened by a new officer (no password yet): they choose one, are signed in, and go on to
    the enrolment. Anyone else signs in first."""
    if not request.user.is_authenticated:
        new = invitations.for_signup(token)
        if new is None:
            return redirect_to_login(request.get_full_path())
        form = SetPasswordForm(new.user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = invitations.sign_up(new, password=form.cleaned_data["new_password1"])
            response: HttpResponse = perform_login(
                request,
                user,
                email_verification="none",
                redirect_url=reverse("mfa_activate_totp"),
                email=user.email,
            )
            if getattr(request.user, "pk", None) == user.pk:  # signed in now
                # They just typed their password: the sign-in that allauth's enrolment pages
                # would otherwise ask for again ("reauthenticate"), recorded as its own
                # password login records it.
                record_authentication(
                    request, user, method="password", email=user.email, reauthenticated=True
                )
                invitations.accept(request.session, new)
            return response
        return render(
            request, "accounts/staff_signup.html", {"form": form, "email": new.user.email}
        )
    invitation = invitations.from_token(token, user=request.user)
    if invitation is None:
        return render(request, "accounts/staff_invitation_invalid.html", status=403)
    invitations.accept(request.session, invitation)
    return redirect("mfa_activate_totp")
