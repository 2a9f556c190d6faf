"""Keep the role groups in step with the code after every migrate (and test-database flush)."""

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from accounts.roles import sync_roles


@receiver(post_migrate)
def ensure_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    if sender.label != "accounts":
        return
    # Our receiver may run before auth's own for the other apps: create them all first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    sync_roles()
