"""The staff accounts page (privacy admins): who works here, in which role, with or without
two-factor authentication; invitations, role changes and deactivation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import invitations, staff_accounts
from accounts.access import staff_required, staff_user
from accounts.models import User
from dsr.core.errors import RequestError
from dsr.user_forms import InviteForm, RoleForm, role_named


def _admin_only(request: HttpRequest) -> User:
    user = staff_user(request)
    if not user.has_perm("accounts.configure_portal"):
        raise PermissionDenied(_("Staff accounts are managed by privacy admins."))
    return user


def _member(pk: int) -> User:
    return get_object_or_404(staff_accounts.staff_accounts(), pk=pk)


@staff_required
def users(request: HttpRequest) -> HttpResponse:
    admin = _admin_only(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_accounts.invite(
                email=data["email"],
                role=role_named(data["role"]),
                language=data["language"],
                by=admin,
            )
        except RequestError as refused:
            form.add_error("email", str(refused))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": data["email"]})
            return redirect("staff:users")
    members = [
        (member, RoleForm(initial={"role": member.role.name.lower()} if member.role else {}))
        for member in staff_accounts.staff_members()
    ]
    return render(request, "staff/users.html", {"members": members, "form": form, "me": admin})


@require_POST
@staff_required
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin_only(request)
    user = _member(pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            staff_accounts.change_role(
                user=user, role=role_named(form.cleaned_data["role"]), by=admin
            )
        except RequestError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, _("The role of %(email)s is changed.") % {"email": user.email}
            )
    return redirect("staff:users")


@require_POST
@staff_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin_only(request)
    user = _member(pk)
    try:
        staff_accounts.deactivate(user=user, by=admin)
    except RequestError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("%(email)s is deactivated.") % {"email": user.email})
    return redirect("staff:users")


@require_POST
@staff_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin_only(request)
    user = _member(pk)
    staff_accounts.reactivate(user=user, by=admin)
    messages.success(request, _("%(email)s can sign in again.") % {"email": user.email})
    return redirect("staff:users")


@require_POST
@staff_required
def reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    admin = _admin_only(request)
    user = _member(pk)
    try:
        invitations.issue(user=user, issued_by=admin)
    except RequestError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
    return redirect("staff:users")
