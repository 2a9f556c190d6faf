"""What an Art. 20 answer holds, and what it leaves out and why (GDPR Art. 20, WP242 rev.01).

In: data the person provided, which includes data observed from their use of the service
(what they typed, ordered, chatted; their usage and transaction history), processed on consent
or under a contract (Art. 20(1)(a)). Out, each with its reason: data processed on another legal
basis, data the controller inferred or derived (a staff member's note, a score), and what would
adversely affect the rights and freedoms of others (Art. 20(4)).

A system declares per category its legal basis and which fields it inferred (or, older
backends, which fields are provided: an allow-list). A field nothing declares counts as
provided or observed: the person's own data is handed over unless there is a reason not to,
and every reason is said. Where a category names no legal basis, the processing register's
activities of the system decide.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connectors.registry import systems as configured
from dsr.core.register import activities_for_system
from dsr.exports.report import described
from dsr.exports.values import label_text
from dsr.models import LegalBasis

PORTABLE_BASES = frozenset({LegalBasis.CONSENT.value, LegalBasis.CONTRACT.value})


class Exclusion(StrEnum):
    LEGAL_BASIS = "legal_basis"
    INFERRED = "inferred"
    RIGHTS_OF_OTHERS = "rights_of_others"


REASONS: dict[str, Promise] = {
    Exclusion.LEGAL_BASIS: _(
        "The right to data portability covers only data we process on your consent or under a "
        "contract with you (Art. 20(1)(a) GDPR); we process this data on another legal basis: "
        "%(basis)s. You can see it with a request for access (Art. 15 GDPR)."
    ),
    Exclusion.INFERRED: _(
        "The right to data portability covers data you gave us and data observed from your use "
        "of our services, not data we inferred, derived or created ourselves (Art. 20(1) GDPR). "
        "You can see it with a request for access (Art. 15 GDPR)."
    ),
    Exclusion.RIGHTS_OF_OTHERS: _(
        "Handing it over would adversely affect the rights and freedoms of other people "
        "(Art. 20(4) GDPR)."
    ),
}

NO_BASIS = _("none recorded in our register of processing activities")


@dataclass(frozen=True)
class Rule:
    """What of one system's category goes into the answer."""

    included: bool
    legal_basis: str
    provided: frozenset[str] | None = None  # an allow-list, where the system gave one
    inferred: frozenset[str] = frozenset()

    def keeps(self, field: str) -> bool:
        if field in self.inferred:
            return False
        return self.provided is None or field in self.provided


def _register_basis(system: str) -> tuple[str, bool]:
    """The system's legal basis from the register: a portable one if it has any."""
    bases = [a.legal_basis for a in activities_for_system(system)]
    portable = [b for b in bases if b in PORTABLE_BASES]
    if portable:
        return portable[0], True
    return ", ".join(dict.fromkeys(bases)), False


def rules(grouped: Mapping[tuple[str, str], list[Any]]) -> dict[tuple[str, str], Rule]:
    """(system, category) -> its rule, from what each page declared and the register."""
    from_register: dict[str, tuple[str, bool]] = {}
    found: dict[tuple[str, str], Rule] = {}
    for (system, category), parts in grouped.items():
        first = parts[0]
        basis = getattr(first, "legal_basis", "") or ""
        if basis:
            portable = basis in PORTABLE_BASES
        else:
            if system not in from_register:
                from_register[system] = _register_basis(system)
            basis, portable = from_register[system]
        provided = first.provided_fields
        found[(system, category)] = Rule(
            included=portable,
            legal_basis=basis,
            provided=frozenset(provided) if provided else None,
            inferred=frozenset(getattr(first, "inferred_fields", None) or ()),
        )
    return found


def included_entry(system: str, category: str, rule: Rule, records: int) -> dict[str, Any]:
    return {
        "system": system,
        "category": category,
        "records": records,
        "legal_basis": rule.legal_basis,
    }


def excluded_entries(
    *,
    rules_by_category: Mapping[tuple[str, str], Rule],
    found: Mapping[str, Mapping[str, int]],
    left_out: Mapping[tuple[str, str], list[str]],
    others: Mapping[str, int],
) -> list[dict[str, Any]]:
    """What the answer leaves out: whole categories (legal basis), fields (inferred), items
    withheld for other people (per system, ``*``: every system). No values, only names."""
    entries: list[dict[str, Any]] = []
    for (system, category), rule in rules_by_category.items():
        records = found.get(system, {}).get(category, 0)
        if not rule.included:
            entries.append(
                {
                    "system": system,
                    "category": category,
                    "reason": Exclusion.LEGAL_BASIS.value,
                    "legal_basis": rule.legal_basis,
                    "records": records,
                }
            )
        elif left_out.get((system, category)):
            entries.append(
                {
                    "system": system,
                    "category": category,
                    "reason": Exclusion.INFERRED.value,
                    "fields": left_out[(system, category)],
                    "records": records,
                }
            )
    for system, items in sorted(others.items()):
        entries.append(
            {"system": system, "reason": Exclusion.RIGHTS_OF_OTHERS.value, "items": items}
        )
    return entries


def _basis_text(basis: str) -> str:
    if not basis:
        return str(NO_BASIS)
    names = [
        str(LegalBasis(b).label) if b in LegalBasis.values else b
        for b in (part.strip() for part in basis.split(","))
    ]
    return ", ".join(names)


def _system_name(system: str, language: str) -> str:
    if system == "*":
        return str(_("all systems"))
    config = configured().get(system)
    return config.name_for(language) if config else system


class Explained:
    """``explained`` in whatever language is active when it is read: a letter's context is
    built before the letter's language is switched on (``dsr.core.mail.render_email``)."""

    def __init__(self, excluded: Iterable[Mapping[str, Any]]) -> None:
        self.excluded = list(excluded)

    def __bool__(self) -> bool:
        return bool(self.excluded)

    def __len__(self) -> int:
        return len(self.excluded)

    def __iter__(self) -> Iterator[dict[str, str]]:
        return iter(explained(self.excluded, translation.get_language() or "en"))


def explained(
    excluded: Iterable[Mapping[str, Any]],
    language: str,
    labels: Callable[[str, str], tuple[Mapping[str, Any], Any]] = described,
) -> list[dict[str, str]]:
    """Each exclusion as a person reads it, in ``language``: what (system, category, fields)
    and why."""
    shown = []
    with translation.override(language):
        for entry in excluded:
            system = _system_name(entry["system"], language)
            reason = entry["reason"]
            if reason == Exclusion.RIGHTS_OF_OTHERS:
                count = entry.get("items", 0)
                what = (
                    str(
                        ngettext(
                            "%(system)s: %(count)s item about another person",
                            "%(system)s: %(count)s items about other people",
                            count,
                        )
                        % {"system": system, "count": count}
                    )
                    if count
                    else str(_("%(system)s: items about other people") % {"system": system})
                )
            else:
                columns, category_label = labels(entry["system"], entry["category"])
                category = label_text(category_label, language) or entry["category"]
                what = f"{category} ({system})"
                if reason == Exclusion.INFERRED:
                    names = [
                        label_text(columns[f].label, language) if f in columns else f
                        for f in entry.get("fields", ())
                    ]
                    what = str(
                        ngettext(
                            "%(category)s: the field %(fields)s",
                            "%(category)s: the fields %(fields)s",
                            len(names),
                        )
                        % {"category": what, "fields": ", ".join(n for n in names if n)}
                    )
            why = REASONS[reason]
            text = (
                str(why) % {"basis": _basis_text(entry.get("legal_basis", ""))}
                if reason == Exclusion.LEGAL_BASIS
                else str(why)
            )
            shown.append({"what": what, "why": text})
    return shown
