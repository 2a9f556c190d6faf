"""System checks: every configured source system loads (``manage.py check``, runserver, migrate).

Loading means what a worker does before its first job: the entry matches the declared schema,
the backend imports, the secrets are in the environment and the backend accepts its options.
Reaching the system is left to ``manage.py dsr_connectors --check``: a check runs on every
migrate and must not depend on a vendor being up. Messages are English, like Django's own.
"""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks

from connectors import config, registry

HINT = "See connectors.example.yaml and README.md (Connecting source systems)."
ERRORS: dict[type[config.ConfigurationInvalid], tuple[str, str]] = {
    config.SystemInvalid: ("connectors.E002", HINT),
    config.BackendNotFound: (
        "connectors.E003",
        "The backend is the dotted path of a connectors.base.Connector subclass.",
    ),
    config.SecretMissing: (
        "connectors.E004",
        "Set the variable in the environment of every web and worker process.",
    ),
    config.OptionsInvalid: ("connectors.E005", HINT),
}


def check_connectors(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    try:
        entries = config.configured()
    except config.ConfigurationUnreadable as exc:
        return [checks.Error(str(exc), hint=HINT, id="connectors.E001")]
    found: list[checks.CheckMessage] = []
    for alias, entry in entries.items():
        try:
            schema = config.validate_system(alias, entry)
            for key in schema.unknown_keys:
                found.append(
                    checks.Warning(
                        f"{alias}: {key}: is not a known field and is ignored",
                        hint=f"Known: {', '.join(config.SystemSchema.model_fields)}.",
                        id="connectors.W001",
                    )
                )
            # A new instance, not the registry's: checking must not keep connections open.
            registry.build(registry.system_config(alias, schema)).close()
        except config.ConfigurationInvalid as exc:
            code, hint = ERRORS[type(exc)]
            found.extend(checks.Error(problem, hint=hint, id=code) for problem in exc.problems)
    return found
