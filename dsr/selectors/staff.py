"""Who may work cases."""

from django.db.models import QuerySet

from accounts.models import User


def staff_members() -> "QuerySet[User]":
    """Everyone who may work cases (the privacy officer and admin roles)."""
    return (
        User.objects.filter(
            is_active=True,
            groups__permissions__codename="work_cases",
            groups__permissions__content_type__app_label="accounts",
        )
        .distinct()
        .order_by("email")
    )
