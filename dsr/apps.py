"""The case domain's Django app: on start-up it connects the receivers and loads every task."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DsrConfig(AppConfig):
    default = True
    name = "dsr"
    verbose_name = _("Data-subject requests")

    def ready(self) -> None:
        from django.core import checks

        # Imported here, not at the top: these modules use the models, which Django loads only
        # after every app's config (the documented place for this is ready()).
        from dsr import logmask, receivers
        from dsr import tasks as domain_tasks  # noqa: F401
        from dsr.checks import check_four_eyes, check_trusted_proxies

        # Every task module, so that tasks queued by name (dsr.core.taskqueue) always find
        # their task, in the web process and the workers alike.
        from dsr.exports import tasks as export_tasks  # noqa: F401
        from dsr.processing import tasks as processing_tasks  # noqa: F401

        receivers.connect()
        logmask.install()
        # A typo in the four-eyes setting must stop the portal, not quietly drop the rule: a
        # system check (dsr.E001), so `check`, runserver and migrate (the release step before
        # the web process starts) refuse it with Django's own report.
        checks.register(check_four_eyes, "dsr")
        checks.register(check_trusted_proxies, "dsr", deploy=True)


class DSRAdminConfig(admin_apps.AdminConfig):
    # The admin is a staff page too: same role-and-MFA gate, same login.
    default = False
    default_site = "dsr.admin_site.DSRAdminSite"
