"""The configured source systems, shaped like Django's STORAGES: alias -> backend + options.

``DSR_CONNECTORS`` (settings) or the YAML file named by ``DSR_CONNECTORS_FILE``. Option values
written ``env:NAME`` are read from the environment, so secrets stay out of files. The shape of
an entry is declared in ``connectors.config``; problems are ``ConnectorMisconfigured`` errors
naming the system and the field, and the system check (``connectors.checks``) reports them all.
"""

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

from connectors import config
from connectors.base import Capability, Connector, ConnectorMisconfigured


@dataclass(frozen=True)
class SystemConfig:
    alias: str
    backend: str
    name: str
    category: str
    options: Mapping[str, Any] = field(default_factory=dict)
    # Processing activities and recipients (by name) in the register: Art. 15(1), Art. 19.
    activities: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    # Systems of a later stage run after earlier ones and see what those found.
    stage: int = 0
    concurrency: int = 4
    min_interval: float = 0.0
    owner_email: str = ""
    # The name by language, where the configuration gives one ("name" is then the English).
    names: Mapping[str, str] = field(default_factory=dict)

    def name_for(self, language: str) -> str:
        """The system's name for a reader of ``language`` (letters, reports)."""
        return self.names.get(language) or self.name


def _plain_name(name: str | dict[str, str] | None) -> str:
    if isinstance(name, dict):
        return name.get("en") or next(iter(name.values()), "")
    return name or ""


def system_config(alias: str, schema: config.SystemSchema) -> SystemConfig:
    """One entry, as validated by the declared schema (``config.validate_system``)."""
    return SystemConfig(
        alias=alias,
        backend=schema.backend,
        name=_plain_name(schema.name) or alias,
        names=dict(schema.name) if isinstance(schema.name, dict) else {},
        category=schema.category,
        options=schema.options,
        activities=schema.activities,
        recipients=schema.recipients,
        stage=schema.stage,
        concurrency=schema.concurrency,
        min_interval=schema.min_interval,
        owner_email=schema.owner_email,
    )


@functools.cache
def systems() -> dict[str, SystemConfig]:
    result = {}
    problems: list[str] = []
    for alias, entry in config.configured().items():
        try:
            result[alias] = system_config(alias, config.validate_system(alias, entry))
        except config.ConfigurationInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        # Every system's problems at once: fixing a file one error per start-up is slow.
        raise config.SystemInvalid(problems)
    return result


def build(system: SystemConfig) -> Connector:
    """A new backend instance for a system: its class imported, its secrets read, its options
    checked by the backend itself. Raises ``ConnectorMisconfigured`` naming alias and field."""
    alias = system.alias
    try:
        backend_class = import_string(system.backend)
    except ImportError as exc:
        raise config.BackendNotFound([f"{alias}: backend: cannot import {system.backend}"]) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, Connector)):
        raise config.BackendNotFound(
            [f"{alias}: backend: {system.backend} is not a connectors.base.Connector"]
        )
    options = config.resolve_secrets(alias, system.options)
    try:
        return backend_class(alias, options)
    except config.ConfigurationInvalid as exc:
        raise config.OptionsInvalid(exc.problems) from exc
    except ConnectorMisconfigured as exc:
        raise config.OptionsInvalid([str(exc)]) from exc
    except KeyError as exc:
        # A backend that reads ``options["name"]`` without a default: the option is required.
        raise config.OptionsInvalid([f"{alias}: options.{exc.args[0]}: is required"]) from exc
    except (TypeError, ValueError) as exc:
        # Not the exception's text: it may quote an option's value, and options hold secrets.
        raise config.OptionsInvalid(
            [f"{alias}: options: the backend refused them ({type(exc).__name__})"]
        ) from exc


_instances: dict[str, Connector] = {}


def connector(alias: str) -> Connector:
    """The backend instance for a system (created once per process)."""
    if alias not in _instances:
        system = systems().get(alias)
        if system is None:
            raise ConnectorMisconfigured(f"no system called {alias} is configured")
        _instances[alias] = build(system)
    return _instances[alias]


def capabilities(alias: str) -> frozenset[Capability]:
    return connector(alias).capabilities


def reset() -> None:
    for instance in _instances.values():
        instance.close()
    _instances.clear()
    systems.cache_clear()


def reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"DSR_CONNECTORS", "DSR_CONNECTORS_FILE"}:
        reset()
