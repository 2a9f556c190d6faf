"""What systems report about kept records, said in the reader's language.

Connectors report a kept record's kind ("invoices") and legal basis ("Art. 17(3)(b) GDPR: …")
as the text their configuration gives, in English. Letters and reports show the known ones
from translated sources instead (lazy: translated when rendered, in the request's language);
text the portal does not know is shown as given, never with an English label around it.
Statutes ("§ 147 AO") are citations and stay as given.
"""

import re

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Art. 17(3)(a) to (e): the exceptions to erasure.
ERASURE_EXCEPTIONS: dict[str, Promise] = {
    "a": _("Art. 17(3)(a) GDPR: exercising the right of freedom of expression and information"),
    "b": _("Art. 17(3)(b) GDPR: a legal obligation to keep these records"),
    "c": _("Art. 17(3)(c) GDPR: reasons of public interest in the area of public health"),
    "d": _(
        "Art. 17(3)(d) GDPR: archiving in the public interest, scientific or historical "
        "research or statistics"
    ),
    "e": _("Art. 17(3)(e) GDPR: the establishment, exercise or defence of legal claims"),
}
# The names a configuration may use instead of the article.
BASIS_KEYS = {"legal_obligation": "b", "legal_claims": "e", "public_health": "c", "archiving": "d"}
EXCEPTION = re.compile(r"^\s*art(?:icle|\.)?\s*17\s*\(\s*3\s*\)\s*\(\s*([a-e])\s*\)", re.I)

KINDS: dict[str, Promise] = {
    "invoices": _("invoices"),
    "charges": _("payment transactions"),
    "payments": _("payments"),
    "credit notes": _("credit notes"),
    "orders": _("orders"),
    "contracts": _("contracts"),
    "booking records": _("booking records"),
    "accounting records": _("accounting records"),
    "business letters": _("business letters"),
    "tax records": _("tax records"),
    "customer records": _("customer records"),
}


def legal_basis(text: str) -> str | Promise:
    """The translated label of a known Art. 17(3) exception, else the text as given."""
    key = BASIS_KEYS.get(text.strip().lower())
    match = EXCEPTION.match(text)
    letter = key or (match.group(1).lower() if match else None)
    return ERASURE_EXCEPTIONS[letter] if letter else text


def kind(text: str) -> str | Promise:
    """The translated name of a known kind of record; a vendor's name in front ("Stripe
    invoices") is kept. Else the text as given."""
    lowered = text.strip().lower()
    for known in sorted(KINDS, key=len, reverse=True):
        if lowered == known:
            return KINDS[known]
        if lowered.endswith(f" {known}"):
            return format_lazy("{} {}", text.strip()[: -len(known) - 1], KINDS[known])
    return text


# What the person sees in place of a withheld item (Art. 15(4)), by ``Withholding`` category,
# and why the law allows it: the letter and the report list both, the files carry the marker.
WITHHELD_MARKERS: dict[str, Promise] = {
    "third_party": _("[withheld: another person's data]"),
    "trade_secret": _("[withheld: trade secret]"),
    "confidential": _("[withheld: confidential by law]"),
}
WITHHELD_GROUNDS: dict[str, Promise] = {
    "third_party": _(
        "Art. 15(4) GDPR: the copy must not adversely affect the rights and freedoms of others"
    ),
    "trade_secret": _(
        "Art. 15(4) and recital 63 GDPR: trade secrets or intellectual property, in particular "
        "copyright protecting software"
    ),
    "confidential": _(
        "Art. 23 GDPR with the law that obliges us to keep this information secret "
        "(in Germany § 29(1) BDSG)"
    ),
}


def withheld_marker(category: str) -> Promise:
    return WITHHELD_MARKERS.get(category, WITHHELD_MARKERS["third_party"])
