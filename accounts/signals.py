"""Keep the role groups in step with the code after every migrate (and test-database flush),
revoke a staff invitation when its user loses the staff role, and start the staff session
clock at every login."""

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver

from accounts import invitations, staff_sessions
from accounts.models import User
from accounts.roles import is_officer, sync_roles


@receiver(post_migrate)
def ensure_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    if sender.label != "accounts":
        return
    # Our receiver may run before auth's own for the other apps: create them all first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    sync_roles()


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def revoke_invitations_without_role(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("post_remove", "post_clear"):
        return
    users = [instance] if not reverse else list(User.objects.filter(pk__in=pk_set or ()))
    if reverse and action == "post_clear":
        return  # a group emptied: its former members are unknown here; the link checks again
    for user in users:
        # A fresh copy: the permission cache of the instance still holds the old roles.
        fresh = User.objects.get(pk=user.pk)
        if not is_officer(fresh):
            invitations.revoke(user=fresh)


@receiver(user_logged_in)
def start_staff_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    staff_sessions.started(request)
