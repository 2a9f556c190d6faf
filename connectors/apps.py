from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import setting_changed

        # Imported here: the registry and the checks read settings, ready once apps load.
        from connectors.checks import check_connectors
        from connectors.registry import reset_on_setting_change

        setting_changed.connect(reset_on_setting_change)
        # Not tagged "database": runserver and migrate run it too, so a system that cannot
        # load stops the start instead of failing its first job.
        checks.register(check_connectors, "connectors")
