"""Small template filters of the portal."""

from django import template

register = template.Library()


@register.filter
def oneline(value: object) -> str:
    """Multi-line text (an address) on one line, parts separated by commas."""
    return ", ".join(part.strip() for part in str(value or "").splitlines() if part.strip())
