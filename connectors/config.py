"""The declared shape of the connector configuration, and messages naming the system and field.

One entry per system (alias -> backend + options + how it is run), from ``DSR_CONNECTORS`` or
the YAML file named by ``DSR_CONNECTORS_FILE``. The messages are for the admin who wrote the
file, so they are English like Django's own system checks, and they never repeat a value: an
option can be a secret.
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from connectors.base import ConnectorMisconfigured


class ConfigurationUnreadable(ConnectorMisconfigured):
    """The file cannot be read or is not a mapping of systems: no system can be loaded."""


class ConfigurationInvalid(ConnectorMisconfigured):
    """Every problem found in one piece of configuration, each naming its system and field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class SystemInvalid(ConfigurationInvalid):
    """A system's entry does not match the declared shape (``SystemSchema``)."""


class BackendNotFound(ConfigurationInvalid):
    """The backend's dotted path does not name an importable ``Connector`` class."""


class SecretMissing(ConfigurationInvalid):
    """An option written ``env:NAME`` names a variable that is not in the environment."""


class OptionsInvalid(ConfigurationInvalid):
    """The backend refused its options."""


class SystemSchema(BaseModel):
    """One system's entry. Keys are case-insensitive (``BACKEND`` like Django's ``STORAGES``)."""

    # Unknown keys are kept aside rather than refused: such configurations loaded before
    # there was a schema, so the system check warns about them (connectors.W001) instead.
    model_config = ConfigDict(extra="allow", frozen=True)

    backend: str = Field(min_length=1)
    # How people read it: plain, or by language ({en: Support chat, de: Support-Chat}).
    name: str | dict[str, str] | None = None
    category: str = "other"
    options: dict[str, Any] = Field(default_factory=dict)
    # Processing activities and recipients (by name) in the register: Art. 15(1), Art. 19.
    activities: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    stage: int = 0
    concurrency: int = 4
    min_interval: float = 0.0
    owner_email: str = ""

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        return _normalised(data)

    @property
    def unknown_keys(self) -> tuple[str, ...]:
        return tuple(self.model_extra or ())


def _normalised(entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    # A key left empty in YAML (``options:``) means "not given", not "null".
    return {str(key).lower(): value for key, value in entry.items() if value is not None}


def configured() -> dict[str, Any]:
    """The raw entries by alias: ``DSR_CONNECTORS``, then the file's systems over them."""
    entries: dict[str, Any] = dict(getattr(settings, "DSR_CONNECTORS", {}) or {})
    path = getattr(settings, "DSR_CONNECTORS_FILE", "")
    if not path:
        return entries
    where = f"DSR_CONNECTORS_FILE {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationUnreadable(
            f"{where}: cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc
    try:
        loaded = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigurationUnreadable(f"{where}: is not valid YAML{at}") from exc
    if not isinstance(loaded, dict):
        raise ConfigurationUnreadable(f"{where}: must be a mapping with a 'systems' key")
    systems = loaded.get("systems") or loaded
    if not isinstance(systems, dict):
        raise ConfigurationUnreadable(f"{where}: systems: must be a mapping of alias to system")
    entries.update(systems)
    return entries


def validate_system(alias: str, entry: Any) -> SystemSchema:
    try:
        return SystemSchema.model_validate(entry)
    except ValidationError as exc:
        raise SystemInvalid(problems(exc, _normalised(entry), where=alias)) from exc


def resolve_secrets(alias: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options with every ``env:NAME`` value read from the environment."""
    missing: list[str] = []

    def resolve(value: Any, path: str) -> Any:
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                missing.append(
                    problem(f"environment variable {name} is not set", path, where=alias)
                )
                return None
            return os.environ[name]
        if isinstance(value, dict):
            return {k: resolve(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    resolved = {key: resolve(value, f"options.{key}") for key, value in options.items()}
    if missing:
        raise SecretMissing(missing)
    return resolved


# --- messages -------------------------------------------------------------------------------------


def field_path(loc: Sequence[int | str], data: Any) -> str:
    """``("tables", 0, "erasure")`` as ``tables.customers.erasure``: an item of a list that has
    a name is called by it, which is how the admin finds it in the file."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if _is_list(node) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, Mapping) else None
            if isinstance(name, str) and name and parts:
                parts.append(name)
            elif parts:
                parts[-1] += f"[{part}]"
            else:
                parts.append(f"[{part}]")
            node = item
        else:
            parts.append(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return ".".join(parts)


def describe(error: ErrorDetails) -> str:
    """Pydantic's message, reworded where it would not say what to write instead."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}"
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    return error["msg"]


def problem(message: str, *path: str, where: str = "") -> str:
    """``crm: options.url: is required``: where (the system), the field's path, what is wrong."""
    field = ".".join(part for part in path if part)
    text = f"{field}: {message}" if field else message
    return f"{where}: {text}" if where else text


def problems(exc: ValidationError, data: Any, *, where: str = "", under: str = "") -> list[str]:
    return [
        problem(describe(error), under, field_path(error["loc"], data), where=where)
        for error in exc.errors(include_url=False, include_input=False)
    ]


def _is_list(node: Any) -> bool:
    return isinstance(node, Sequence) and not isinstance(node, str | bytes)
