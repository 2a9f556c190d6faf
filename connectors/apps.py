from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from django.core.signals import setting_changed

        # Imported here: the registry reads settings, which are ready only once apps load.
        from connectors.registry import reset_on_setting_change

        setting_changed.connect(reset_on_setting_change)
