"""Values written for a person to read (the report), by type and in the request's language.

Called inside ``translation.override(language)``: numbers and dates take that language's
formats, dates and times are shown in the controller's time zone, money with its currency
(amounts a system keeps in minor units, such as Stripe's cents, converted), booleans in words,
nothing as an em dash. The CSV and data.json keep the values exactly as the system gave them.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from connectors.base import Column, Kind, Label

NOTHING = "—"
# ISO 4217 currencies without minor units, or with three; all others have two.
DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "HUF": 2, "BHD": 3, "KWD": 3}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def label_text(label: Label, language: str) -> str:
    """A label in the reader's language: a translated text, or the one given for the language
    (then English, then any), or plain text."""
    if isinstance(label, Mapping):
        return str(label.get(language) or label.get("en") or next(iter(label.values()), ""))
    return str(label or "")


def show(
    value: Any,
    column: Column | None,
    record: Mapping[str, Any],
    *,
    time_zone: tzinfo,
    hidden: frozenset[str] = frozenset(),
) -> str:
    """One field of a record as text; ``hidden``: the vendor's metadata fields, left out of
    nested objects too (Stripe's lists carry ``object`` inside)."""
    kind = column.kind if column else Kind.TEXT
    if value is None:
        return NOTHING
    if kind == Kind.MONEY and column is not None:
        return _money(value, column, record) or str(value)
    if kind == Kind.TIMESTAMP and isinstance(value, int | float) and not isinstance(value, bool):
        return _moment(datetime.fromtimestamp(value, UTC), time_zone)
    if kind in (Kind.DATE, Kind.DATETIME) and isinstance(value, str):
        return _iso(value, time_zone) or value
    return plain(value, time_zone=time_zone, hidden=hidden)


def plain(value: Any, *, time_zone: tzinfo, hidden: frozenset[str] = frozenset()) -> str:
    """A value of no declared kind: recognised by its type."""
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, int):
        return str(value)  # identifiers and phone numbers: no grouping
    if isinstance(value, str):
        return _iso(value, time_zone) or value
    if isinstance(value, Mapping):
        return "; ".join(
            f"{k}: {plain(v, time_zone=time_zone, hidden=hidden)}"
            for k, v in value.items()
            if k not in hidden
        )
    if isinstance(value, list | tuple):
        return ", ".join(plain(v, time_zone=time_zone, hidden=hidden) for v in value)
    return str(value)


def _iso(text: str, time_zone: tzinfo) -> str | None:
    if ISO_DATE.fullmatch(text):
        try:
            return formats.date_format(date.fromisoformat(text), "DATE_FORMAT")
        except ValueError:
            return None
    if ISO_DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return _moment(moment if moment.tzinfo else moment.replace(tzinfo=UTC), time_zone)
    return None


def _moment(moment: datetime, time_zone: tzinfo) -> str:
    # Stored times are UTC (naive ones too, as SQLite keeps them); the reader sees local time.
    return formats.date_format(moment.astimezone(time_zone), "DATETIME_FORMAT")


def _money(value: Any, column: Column, record: Mapping[str, Any]) -> str | None:
    code = str(record.get(column.currency_field) or "") if column.currency_field else ""
    code = (code or column.currency).upper()
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    digits = DIGITS.get(code, 2)
    if column.minor_units:
        amount = amount.scaleb(-digits)
    number = formats.number_format(amount, decimal_pos=digits, use_l10n=True, force_grouping=True)
    if not code:
        return number
    symbol = SYMBOLS.get(code)
    language = (get_language() or "en")[:2]
    if language == "de":
        return f"{number} {symbol or code}"
    if language == "nl" or not symbol:
        return f"{symbol or code} {number}"
    return f"{symbol}{number}"
