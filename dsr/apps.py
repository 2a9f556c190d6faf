from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DsrConfig(AppConfig):
    default = True
    name = "dsr"
    verbose_name = _("Data-subject requests")

    def ready(self) -> None:
        # A typo in the four-eyes setting must stop the portal, not quietly drop the rule: a
        # system check (dsr.E001), so `check`, runserver and migrate (the release step before
        # the web process starts) refuse it with Django's own report.
        from django.core import checks

        from dsr.checks import check_four_eyes

        checks.register(check_four_eyes, "dsr")


class DSRAdminConfig(admin_apps.AdminConfig):
    # The admin is a staff page too: same role-and-MFA gate, same login.
    default = False
    default_site = "dsr.admin_site.DSRAdminSite"
