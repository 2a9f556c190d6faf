"""The SQL connector's options and table mapping, declared: what may be written, and the rules
between tables. Problems come back as ``ConnectorMisconfigured`` naming the field's path
(``tables.customers.anonymise.email: ...``); see ``connectors.backends.sql`` for the format.
"""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.config import ConfigurationInvalid, problem, problems


def _strategy(value: str | None) -> str | None:
    if value in (None, "null", "hash") or str(value).startswith("fixed:"):
        return value
    raise ValueError("must be null, hash or fixed:<text>")


Strategy = Annotated[str | None, AfterValidator(_strategy)]


class _Strict(BaseModel):
    # A misspelt key would silently drop a rule (a retention period, an anonymisation): refuse it.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retention(_Strict):
    """Rows the controller must keep for ``years`` (a legal duty): kept, not erased."""

    date_column: str
    years: int = Field(ge=0)
    legal_basis: str
    statute: str = ""
    what: str = ""
    # "end_of_year": the period runs from the end of the row's year (tax law); "date": from it.
    counted_from: Literal["end_of_year", "date"] = Field(default="end_of_year", alias="from")

    @property
    def from_end_of_year(self) -> bool:
        return self.counted_from == "end_of_year"

    def erase_after(self, day: date) -> date:
        if self.from_end_of_year:
            return date(day.year + self.years, 12, 31)
        try:
            return day.replace(year=day.year + self.years)
        except ValueError:  # 29 February
            return day.replace(year=day.year + self.years, day=28)

    def first_retained_day(self, today: date) -> date:
        """Rows dated on or after this day are still under the duty to keep them."""
        if self.from_end_of_year:
            return date(today.year - self.years, 1, 1)
        try:
            return today.replace(year=today.year - self.years)
        except ValueError:
            return today.replace(year=today.year - self.years, day=28)


class Expiry(_Strict):
    """The system's own deletion rule: it deletes rows after ``hours``. Information for the
    answer, never a filter: older rows that are still there are exported and counted."""

    date_column: str
    hours: int = Field(ge=0)

    def cutoff(self) -> datetime:
        # Naive UTC: what SQLite stores, and what a timestamp column compares in UTC sessions.
        return datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=self.hours)


# A column's or category's name for the report: plain text, or texts by language
# (``{en: Amount, de: Betrag, nl: Bedrag}``; the request's language, else English, else any).
LabelText = str | dict[str, str]


class Money(_Strict):
    """A money column: its currency fixed (``currency: EUR``) or read from another column of
    the row (``currency_column: currency``); ``minor_units``: stored in cents."""

    currency: str = Field(default="", pattern=r"^([A-Za-z]{3})?$")
    currency_column: str = ""
    minor_units: bool = False

    @model_validator(mode="after")
    def _one_currency(self) -> "Money":
        if bool(self.currency) == bool(self.currency_column):
            raise ValueError("needs either currency or currency_column")
        return self


class TableMap(_Strict):
    name: str
    category: str
    key: str = "id"
    identity: dict[str, str] = Field(default_factory=dict)
    parent: str | None = None
    parent_key: str | None = None
    erasure: Literal["delete", "anonymise", "keep"] = "delete"
    anonymise: dict[str, Strategy] = Field(default_factory=dict)
    retention: Retention | None = None
    restriction_column: str | None = None
    # What the rows are called when kept because kept rows of a child table depend on them
    # ("customer records"); the category if not given.
    kept_as: str = ""
    objection_columns: dict[str, str] = Field(default_factory=dict)
    provides: dict[str, str] = Field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    provided: tuple[str, ...] | None = None
    # Columns the controller inferred or derived (a staff member's note): not portable.
    inferred: tuple[str, ...] = ()
    rectifiable: tuple[str, ...] = ()
    # Where the person's supplementary statement of a rectification (Art. 16) is stored on
    # their rows; without one, the statement goes to the system's owner as a task.
    statement_column: str | None = None
    # The legal basis of the processing (Art. 6(1)): "consent" data goes with a withdrawal;
    # only "consent" and "contract" data is portable (Art. 20(1)(a)).
    basis: str = ""
    expires: Expiry | None = None
    # For the report only (the exported data is unchanged): the category's and the columns'
    # names as a person reads them, and which columns are money.
    label: LabelText = ""
    labels: dict[str, LabelText] = Field(default_factory=dict)
    money: dict[str, Money] = Field(default_factory=dict)

    @field_validator("retention", "expires", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None

    @model_validator(mode="after")
    def _finds_the_subject(self) -> "TableMap":
        if self.parent and not self.parent_key:
            raise ValueError("parent needs a mapped table and parent_key")
        if not self.parent and not self.identity:
            raise ValueError("needs identity columns or a parent")
        return self


class TableMapping(BaseModel):
    """The whole mapping: ``tables``, in the order the export lists them."""

    tables: tuple[TableMap, ...] = ()


class SQLOptions(BaseModel):
    """The SQL connector's ``options``. Others are ignored, as they always were."""

    url: str = Field(min_length=1)
    batch_size: int = Field(default=1000, ge=1)
    mapping: dict[str, Any] | None = None
    mapping_file: str | None = None


def parse_mapping(raw: Mapping[str, Any], *, where: str = "", under: str = "") -> list[TableMap]:
    """The tables of a mapping, or ``ConfigurationInvalid`` listing every problem by its path
    (``under`` the option that holds the mapping, for the system named by ``where``)."""
    try:
        tables = list(TableMapping.model_validate(raw).tables)
    except ValidationError as exc:
        raise ConfigurationInvalid(problems(exc, raw, where=where, under=under)) from exc
    found = [problem(message, under, path, where=where) for path, message in _relations(tables)]
    if found:
        raise ConfigurationInvalid(found)
    return tables


def _relations(tables: list[TableMap]) -> list[tuple[str, str]]:
    """The rules between tables, which no single table can check: (path, message)."""
    names = {t.name for t in tables}
    found = []
    for table in tables:
        if table.parent and table.parent not in names:
            found.append(
                (
                    f"tables.{table.name}.parent",
                    f"{table.parent} is not a mapped table (parent needs a mapped table and "
                    "parent_key)",
                )
            )
    for table in tables:
        if table.erasure != "delete":
            continue
        for child in tables:
            if child.parent == table.name and child.retention is not None:
                # Deleting the parent would orphan (or fail on) the rows kept by law.
                found.append(
                    (
                        f"tables.{table.name}.erasure",
                        f"rows of {child.name} may be retained, so {table.name} must be "
                        "anonymised or kept, not deleted",
                    )
                )
    return found
