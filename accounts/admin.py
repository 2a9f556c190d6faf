from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import invitations
from accounts.models import User
from accounts.roles import Role
from dsr.core.errors import RequestError


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Roles"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ("send_staff_invitation",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        # A privacy admin sees the staff accounts only, not the data subjects'.
        return users.filter(groups__name__in=[role.value for role in Role]).distinct()

    def has_invite_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.configure_portal"))

    @admin.action(
        description=_("Send an invitation to set up two-factor authentication"),
        permissions=("invite",),
    )
    def send_staff_invitation(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        for user in queryset:
            try:
                invitations.issue(user=user, issued_by=request.user)
            except RequestError as refused:
                self.message_user(request, str(refused), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": user.email},
                    messages.SUCCESS,
                )
