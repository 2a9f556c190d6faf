"""Admin-written letter texts: ``{{ variable }}`` placeholders filled by plain substitution.

No template engine reads the admin's text, so nothing in it can run, include files or reach
objects: only the named values below are put in, as text. The parts the law requires in a
letter (a refusal's reasons and remedies, what a completion did) are variables the text must
contain; the portal writes them, so an edited letter cannot leave them out.
"""

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsr.models.letters import LetterKind, LetterTemplate

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
# Letters whose body must carry these (the legally required parts).
REQUIRED: dict[str, tuple[str, ...]] = {
    LetterKind.REFUSED: ("details", "remedies"),
    LetterKind.EXTENDED: ("details", "remedies"),
    LetterKind.COMPLETED: ("details",),
    LetterKind.INFO_REQUESTED: ("details",),
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


def override(kind: str, language: str) -> LetterTemplate | None:
    return LetterTemplate.objects.filter(kind=kind, language=language, active=True).first()


def values(kind: str, context: dict[str, Any]) -> dict[str, str]:
    """The variables' text, rendered by the portal's own templates (called in the language)."""
    request = context["request"]

    def date(value: Any) -> str:
        return formats.date_format(value, "DATE_FORMAT") if value else ""

    result = {
        "reference": request.reference,
        "received_on": date(context.get("received_on")),
        "due_on": date(context.get("due_on")),
        "rights": str(context.get("rights_text", "")),
        "status_url": str(context.get("status_url", "")),
        "controller_name": context["controller"].name,
        "requester_name": request.name or "",
        "signature": render_to_string("emails/_signature.txt", context).strip(),
        "remedies": render_to_string("emails/_remedies.txt", context).strip(),
    }
    if kind in DETAILS:
        result["details"] = render_to_string(f"emails/_details_{kind}.txt", context).strip()
    return result


def fill(text: str, filled: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda match: filled.get(match.group(1), match.group(0)), text)
