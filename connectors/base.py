"""The contract every connector backend fulfils: value objects in, small typed results out.

A backend receives a ``SubjectIdentity`` (never a model), declares its capabilities, and raises
one of two errors: ``ConnectorUnavailable`` (retry later) or ``ConnectorRefused`` (give up).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise


class Capability(StrEnum):
    LOCATE = "locate"
    EXPORT = "export"
    RECTIFY = "rectify"
    ERASE = "erase"
    RESTRICT = "restrict"
    LIFT_RESTRICTION = "lift_restriction"
    OBJECT = "object"


ALL_CAPABILITIES = frozenset(Capability)


class ObjectionKind(StrEnum):
    DIRECT_MARKETING = "direct_marketing"
    PROCESSING = "processing"  # Art. 21(1): stop pending the officer's assessment


@dataclass(frozen=True)
class SubjectIdentity:
    """Who to look for. ``found`` holds identifiers an earlier connector discovered
    (a customer number, a vendor's customer id), keyed by name."""

    email: str = ""
    phone: str = ""
    customer_number: str = ""
    name: str = ""
    found: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # An opaque key of the request (its reference): lets asynchronous systems recognise the
    # same request across retries. Not an identifier of the person.
    request_key: str = ""
    # The controller's country (ISO 3166 code): which statutory retention periods apply.
    controller_country: str = ""
    # What an asynchronous system already reported by signed callback, by the request id the
    # backend gave it (see connectors.backends.webhook); the host stores the callbacks.
    reports: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def values(self, key: str) -> tuple[str, ...]:
        """Every known value of one identifier, from the request and from discoveries."""
        own = getattr(self, key, "") if key in {"email", "phone", "customer_number"} else ""
        values = ((own,) if own else ()) + tuple(self.found.get(key, ()))
        return tuple(dict.fromkeys(v for v in values if v))

    def with_found(
        self, discovered: Mapping[str, tuple[str, ...] | list[str]]
    ) -> "SubjectIdentity":
        merged = {key: tuple(values) for key, values in self.found.items()}
        for key, values in discovered.items():
            merged[key] = tuple(dict.fromkeys((*merged.get(key, ()), *values)))
        return replace(self, found=merged)

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "phone": self.phone,
            "customer_number": self.customer_number,
            "name": self.name,
            "found": {k: list(v) for k, v in self.found.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SubjectIdentity":
        return cls(
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            customer_number=data.get("customer_number", ""),
            name=data.get("name", ""),
            found={k: tuple(v) for k, v in data.get("found", {}).items()},
        )


@dataclass(frozen=True)
class LocateResult:
    found: bool
    records: int = 0  # how many records hold the subject's data (0 if unknown)
    identifiers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportPage:
    """One page of records of one category. Pages are small; exports yield many."""

    category: str
    records: tuple[Mapping[str, Any], ...]
    # Fields the subject provided or that were observed (Art. 20), as opposed to inferred:
    # when given, only these are portable (an allow-list; None: not declared).
    provided_fields: tuple[str, ...] | None = None
    # Fields the controller inferred or derived (a profile, a staff member's note about the
    # person): never portable (WP242). Every other field counts as provided or observed.
    inferred_fields: tuple[str, ...] = ()
    # The legal basis of the processing (Art. 6(1): "consent", "contract", ...); empty: the
    # host takes it from the processing register's activities of the system.
    legal_basis: str = ""
    # The system's own deletion rule for this category: it deletes records after so many hours
    # (0 = no such rule). Information for the answer (Art. 15(1)(d)), never a filter: every
    # record still held is exported, and ``past_rule`` says how many are older than the rule.
    expires_after_hours: int = 0
    past_rule: int = 0


class Kind(StrEnum):
    """What a column's values are, so the report can write them for a person to read."""

    TEXT = "text"  # or anything not declared: numbers, dates and booleans are still recognised
    MONEY = "money"  # a decimal amount (``minor_units``: in cents, as Stripe keeps it)
    DATE = "date"
    DATETIME = "datetime"
    TIMESTAMP = "timestamp"  # Unix seconds (Stripe's ``created``)
    BOOLEAN = "boolean"
    # The vendor's bookkeeping about the record (Salesforce's ``attributes``: its type and API
    # URL; Stripe's ``object``: the type name, ``livemode``: test or live account). Not data
    # about the person: the report leaves it out; the CSV and data.json keep every field.
    METADATA = "metadata"


def withheld(category: str = "third_party") -> str:
    """What a backend writes in place of an item it must not hand over (Art. 15(4)): another
    person's name in a shared ticket, say. The host shows it to the person as the category's
    marker in their language and names the ground in the answer. Categories: ``third_party``,
    ``trade_secret``, ``confidential``."""
    return f"\u27e6withheld:{category}\u27e7"


# ``withheld()``'s text, found again by the host.
WITHHELD = re.compile("\u27e6withheld:([a-z_]+)\u27e7")


# A label is plain text (possibly a lazy translation) or its texts by language: {"de": "..."}.
Label = str | Promise | Mapping[str, str]


@dataclass(frozen=True)
class Column:
    """How one exported field reads in the report. The exported data itself is not changed."""

    label: Label = ""
    kind: Kind = Kind.TEXT
    currency: str = ""  # money: a fixed ISO 4217 code (EUR)
    currency_field: str = ""  # money: the field of the same record that holds the code
    minor_units: bool = False  # money: the amount is in the currency's smallest unit


@dataclass(frozen=True)
class Retained:
    """Kept instead of erased, because an exception applies (Art. 17(3))."""

    what: str
    legal_basis: str
    statute: str = ""
    erase_after: date | None = None
    records: int = 0
    # Where the kept records are (for the erasure when the duty ends): a table and its keys.
    location: str = ""
    keys: tuple[str, ...] = ()
    # Kept not under a duty of its own but because kept records depend on it (a customer its
    # kept invoices name): what those are ("invoices"). Restricted, not anonymised.
    needed_for: str = ""


@dataclass(frozen=True)
class ErasureResult:
    erased: int = 0
    anonymised: int = 0
    retained: tuple[Retained, ...] = ()


@dataclass(frozen=True)
class ChangeResult:
    """Rectification, restriction, lifting it, objection: what happened to the person's
    records in this system. ``changed``: put into the requested state now; ``already``: were
    in it before; ``uncovered``: held here, but the system has no way to do this to them (no
    restriction flag, no marketing function, a field that cannot be corrected). The host
    never reports a system with ``uncovered`` records, or one that changed nothing where the
    person has data, as having done it. ``statement_kept``: the supplementary statement of a
    rectification (Art. 16) is now stored with the data. ``note``: for the officer, in
    English, without personal data."""

    changed: int = 0
    already: int = 0
    uncovered: int = 0
    statement_kept: bool = False
    note: str = ""


class NeedsHuman(Exception):
    """The system cannot do it by itself: a person has to (the manual connector). The job
    waits for that person, who is sent a task."""

    def __init__(self, instructions: str = "") -> None:
        super().__init__(instructions)
        self.instructions = instructions


class ConnectorError(Exception):
    """Base of the two kinds. Messages must not contain personal data: they are stored."""


class ConnectorUnavailable(ConnectorError):
    """Timeout, 5xx, rate limit: the job retries later (after ``retry_after`` seconds if given)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StillWorking(ConnectorUnavailable):
    """The system accepted the work and has not finished: ask again later. Unlike a failure
    this does not use up the job's attempts."""


class ConnectorRefused(ConnectorError):
    """Bad credentials, invalid request, unsupported: retrying will not help."""


class ConnectorUnsupported(ConnectorRefused):
    """The system says it does not do this (an OpenDSR processor's discovery leaves the type
    or every identifier we have out): the job is reported as not supported there, never as
    "no data"."""


class ConnectorMisconfigured(ConnectorRefused):
    """The system's configuration is wrong (found at start-up or by ``check``)."""


class Connector:
    """A backend for one source system. Subclasses set ``capabilities`` and implement the
    methods for them; the defaults refuse. ``options`` come from the registry."""

    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        self.alias = alias
        self.options = dict(options)

    def check(self) -> str:
        """Reach the system; return a short description, or raise a ConnectorError."""
        return "ok"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        raise ConnectorRefused(f"{self.alias} cannot locate")

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        raise ConnectorRefused(f"{self.alias} cannot export")

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        """Correct fields (``changes`` may be empty) and, where the system can store it, add
        the person's supplementary statement (Art. 16): then ``statement_kept``."""
        raise ConnectorRefused(f"{self.alias} cannot rectify")

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        """Erase the subject's data. ``consent_only``: only data processed on consent (a
        withdrawn consent, Art. 7(3), 17(1)(b)); data with another legal basis stays."""
        raise ConnectorRefused(f"{self.alias} cannot erase")

    def preview_erasure(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult | None:
        """What ``erase`` would do now, changing nothing (the locate phase of an erasure, so
        the officer approves knowing it): the records it would delete and anonymise, and each
        group it would keep with its legal basis, statute and end date. None: the system
        cannot tell before it erases (it reports what it kept only then)."""
        return None

    def erase_kept(self, location: str, keys: tuple[str, ...], *, today: date) -> int:
        """Erase records kept under a duty that has now ended, exactly those. Systems that
        cannot remove single records leave it to a person (the officer sees the reason)."""
        raise ConnectorRefused(f"{self.alias}: erase these records by hand")

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        raise ConnectorRefused(f"{self.alias} cannot restrict")

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        raise ConnectorRefused(f"{self.alias} cannot lift a restriction")

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        raise ConnectorRefused(f"{self.alias} cannot record an objection")

    def columns(self, category: str) -> Mapping[str, Column]:
        """Labels and kinds of a category's fields, for the report. Undeclared fields are
        shown under their technical name, their values recognised by type."""
        return {}

    def category_label(self, category: str) -> Label:
        """A category's name for the report; empty: its technical name."""
        return ""

    def close(self) -> None:
        """Release connections (called when the registry is reset)."""
