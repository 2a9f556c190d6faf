from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from django.core.signals import setting_changed

        from connectors.registry import reset_on_setting_change

        setting_changed.connect(reset_on_setting_change)
