"""The configured source systems, shaped like Django's STORAGES: alias -> backend + options.

``DSR_CONNECTORS`` (settings) or the YAML file named by ``DSR_CONNECTORS_FILE``. Option values
written ``env:NAME`` are read from the environment, so secrets stay out of files.
"""

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.module_loading import import_string

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


def _resolve(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ConnectorMisconfigured(f"environment variable {name} is not set")
        return os.environ[name]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _raw() -> dict[str, Any]:
    configured: dict[str, Any] = dict(getattr(settings, "DSR_CONNECTORS", {}) or {})
    path = getattr(settings, "DSR_CONNECTORS_FILE", "")
    if path:
        loaded: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        configured.update(loaded.get("systems") or loaded)
    return configured


@functools.cache
def systems() -> dict[str, SystemConfig]:
    result = {}
    for alias, entry in _raw().items():
        entry = {k.lower(): v for k, v in entry.items()}
        if "backend" not in entry:
            raise ConnectorMisconfigured(f"system {alias} has no BACKEND")
        result[alias] = SystemConfig(
            alias=alias,
            backend=entry["backend"],
            name=entry.get("name", alias),
            category=entry.get("category", "other"),
            options=entry.get("options", {}),
            activities=tuple(entry.get("activities", ())),
            recipients=tuple(entry.get("recipients", ())),
            stage=int(entry.get("stage", 0)),
            concurrency=int(entry.get("concurrency", 4)),
            min_interval=float(entry.get("min_interval", 0)),
            owner_email=entry.get("owner_email", ""),
        )
    return result


_instances: dict[str, Connector] = {}


def connector(alias: str) -> Connector:
    """The backend instance for a system (created once per process)."""
    if alias not in _instances:
        config = systems().get(alias)
        if config is None:
            raise ConnectorMisconfigured(f"no system called {alias} is configured")
        backend_class = import_string(config.backend)
        _instances[alias] = backend_class(alias, _resolve(dict(config.options)))
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
