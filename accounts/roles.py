"""The two staff roles, as groups with permissions.

A privacy officer works cases; a privacy admin also configures the controller, the register,
connectors and templates (Django admin). Both need MFA for every staff page.
"""

from enum import StrEnum

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import User


class Role(StrEnum):
    OFFICER = "Privacy officer"
    ADMIN = "Privacy admin"


# app_label.codename; models added by later features extend the admin's list.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OFFICER: ("accounts.work_cases",),
    Role.ADMIN: (
        "accounts.work_cases",
        "accounts.configure_portal",
        # The staff accounts (accounts.admin shows no others), to send invitations.
        "accounts.view_user",
        "dsr.view_controller",
        "dsr.change_controller",
        "dsr.view_supervisoryauthority",
        "dsr.add_supervisoryauthority",
        "dsr.change_supervisoryauthority",
        "dsr.delete_supervisoryauthority",
        "dsr.view_outboxmessage",
        # The JSON API's keys (revoked, never deleted) and the webhook subscriptions.
        "dsr.view_apikey",
        "dsr.add_apikey",
        "dsr.change_apikey",
        "dsr.view_webhooksubscription",
        "dsr.add_webhooksubscription",
        "dsr.change_webhooksubscription",
        "dsr.delete_webhooksubscription",
        "dsr.view_webhookdelivery",
        *(
            f"dsr.{action}_{model}"
            for model in ("processingactivity", "recipient", "lettertemplate")
            for action in ("view", "add", "change", "delete")
        ),
    ),
}


@transaction.atomic
def sync_roles() -> dict[Role, Group]:
    """Create or update the role groups so they hold exactly their permissions."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def grant_role(*, user: User, role: Role) -> None:
    group = sync_roles()[role]
    user.groups.add(group)
    if role is Role.ADMIN and not user.is_staff:
        # Django admin is where the privacy admin edits configuration.
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def is_officer(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(  # type: ignore[attr-defined]
        "accounts.work_cases"
    )
