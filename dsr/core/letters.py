"""The privacy admin's letter texts: the one in use, and the values its placeholders get
(the rules for what a text may contain are in ``dsr.placeholders``)."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import formats

from dsr.models.letters import LetterTemplate
from dsr.placeholders import DETAILS


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
