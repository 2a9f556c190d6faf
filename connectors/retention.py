"""Statutory retention periods for records a connector must keep instead of erasing
(LEGAL.md §4; Art. 17(3)(b) GDPR). Counted from the end of the calendar year of the record."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Duty:
    years: int
    legal_basis: str
    statute: str

    def erase_after(self, made: date) -> date:
        return date(made.year + self.years, 12, 31)


LEGAL_OBLIGATION = "Art. 17(3)(b) GDPR: a legal obligation to keep the record"

# kind -> country -> duty. Kinds: invoices (and other booking records), books, letters.
DUTIES: dict[str, dict[str, Duty]] = {
    "invoices": {
        "DE": Duty(8, LEGAL_OBLIGATION, "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG"),
        "NL": Duty(7, LEGAL_OBLIGATION, "art. 52 lid 4 AWR"),
    },
    "books": {
        "DE": Duty(10, LEGAL_OBLIGATION, "§ 257 Abs. 1 Nr. 1, Abs. 4 HGB; § 147 Abs. 3 AO"),
        "NL": Duty(7, LEGAL_OBLIGATION, "art. 52 lid 4 AWR; art. 2:10 BW"),
    },
    "letters": {
        "DE": Duty(6, LEGAL_OBLIGATION, "§ 257 Abs. 1 Nr. 2, 3, Abs. 4 HGB"),
        "NL": Duty(7, LEGAL_OBLIGATION, "art. 52 lid 4 AWR"),
    },
}


def duty(kind: str, country: str) -> Duty:
    """The duty for a kind of record in the controller's country (DE rules by default)."""
    by_country = DUTIES[kind]
    return by_country.get(country.upper(), by_country["DE"])
