"""Small template filters of the portal."""

from typing import Any

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def oneline(value: object) -> str:
    """Multi-line text (an address) on one line, parts separated by commas."""
    return ", ".join(part.strip() for part in str(value or "").splitlines() if part.strip())


@register.filter
def in_language(obj: Any, field: str) -> str:
    """``{{ controller|in_language:"address" }}``: the text as written for the language the
    page or letter is rendered in (``text(field, language)``)."""
    return str(obj.text(field, translation.get_language() or "en"))
