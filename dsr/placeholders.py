"""Admin-written letter texts: the allowed ``{{ variable }}`` placeholders and the checks.

No template engine reads the admin's text, so nothing in it can run, include files or reach
objects: only the named values are put in, as text. The parts the law requires in a letter
(a refusal's reasons and remedies, what a completion did) are variables the text must
contain; the portal writes them, so an edited letter cannot leave them out. Pure: no ORM.
"""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


TEMPLATE_SYNTAX = re.compile(r"\{[{%#]|[}%#]\}")


VARIABLES: dict[str, Any] = {
    "reference": gettext_lazy("the request's reference"),
    "received_on": gettext_lazy("the date the request was received"),
    "due_on": gettext_lazy("the date the answer is due"),
    "rights": gettext_lazy("the rights asked for"),
    "status_url": gettext_lazy("the link to the request's page"),
    "controller_name": gettext_lazy("the controller's name"),
    "requester_name": gettext_lazy("the requester's name as given"),
    "signature": gettext_lazy("the signature with the DPO's contact"),
    "remedies": gettext_lazy("the right to complain, the competent authority, the courts"),
    "details": gettext_lazy("what the letter is about (see the list of letters)"),
}


# Letters (LetterKind values) whose body must carry these (the legally required parts).
REQUIRED: dict[str, tuple[str, ...]] = {
    "refused": ("details", "remedies"),
    "extended": ("details", "remedies"),
    "completed": ("details",),
    "info_requested": ("details",),
    # What the answer holds and what was left out of it and why (a partial refusal).
    "answer_ready": ("details",),
}


DETAILS = set(REQUIRED)


def allowed(kind: str) -> set[str]:
    return set(VARIABLES) - ({"details"} if kind not in DETAILS else set())


def problems(kind: str, text: str, *, required: bool) -> list[str]:
    """What is wrong with an admin's text, in words an admin understands; empty when fine."""
    found = []
    names = PLACEHOLDER.findall(text)
    unknown = sorted(set(names) - allowed(kind))
    if unknown:
        found.append(
            _("Unknown variables: %(names)s. Allowed: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(allowed(kind)))}
        )
    if TEMPLATE_SYNTAX.search(PLACEHOLDER.sub("", text)):
        found.append(_("Only {{ variable }} placeholders are allowed; no other template code."))
    if required:
        missing = [name for name in REQUIRED.get(kind, ()) if name not in names]
        if missing:
            found.append(
                _("This letter must contain %(names)s.")
                % {"names": ", ".join(f"{{{{ {name} }}}}" for name in missing)}
            )
    return found


def fill(text: str, filled: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: filled.get(match.group(1), match.group(0)), text)
