from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DsrConfig(AppConfig):
    default = True
    name = "dsr"
    verbose_name = _("Data-subject requests")

    def ready(self) -> None:
        # A typo in the four-eyes setting must stop the portal, not quietly drop the rule.
        from dsr.services.decisions import four_eyes_rights

        four_eyes_rights()


class DSRAdminConfig(admin_apps.AdminConfig):
    # The admin is a staff page too: same role-and-MFA gate, same login.
    default = False
    default_site = "dsr.admin_site.DSRAdminSite"
