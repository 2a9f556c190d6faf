"""Small template filters of the portal."""

from typing import Any

from django import template
from django.utils import translation
from django.utils.safestring import SafeString

from dsr.core.inert import link_ours

register = template.Library()


@register.filter
def our_links(value: object) -> SafeString:
    """Text shown as it is, with links only to the portal's own pages (never a link someone
    typed into a form: stored e-mails from before such links were defanged may hold one)."""
    return link_ours(str(value))


@register.filter
def oneline(value: object) -> str:
    """Multi-line text (an address) on one line, parts separated by commas."""
    return ", ".join(part.strip() for part in str(value or "").splitlines() if part.strip())


@register.filter
def in_language(obj: Any, field: str) -> str:
    """``{{ controller|in_language:"address" }}``: the text as written for the language the
    page or letter is rendered in (``text(field, language)``)."""
    return str(obj.text(field, translation.get_language() or "en"))
