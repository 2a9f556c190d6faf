from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Imported here: the receivers use the models, which load only after the app configs.
        # The invitation e-mail is owed by name (dsr.core.taskqueue): its task must be known
        # in every process, eager mode in the tests included.
        from accounts import (
            signals,  # noqa: F401  (connects the receivers)
            tasks,  # noqa: F401
        )
