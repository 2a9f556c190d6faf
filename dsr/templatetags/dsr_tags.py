"""Small template filters of the portal."""

from typing import Any

from django import template
from django.utils import translation
from django.utils.safestring import SafeString

from connectors import registry
from dsr.core.inert import link_ours
from dsr.core.register import activities_for_system

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


@register.filter
def system_name(alias: object) -> str:
    """A configured system by its name (``crm`` -> "Salesforce (CRM)"), in the page's
    language; an alias no longer configured stays as it is."""
    system = registry.systems().get(str(alias))
    return system.name_for(translation.get_language() or "en") if system else str(alias)


@register.filter
def system_names(aliases: Any) -> str:
    """Several systems by name, separated by commas."""
    return ", ".join(system_name(alias) for alias in aliases or ())


@register.filter
def system_activities(alias: object) -> str:
    """The register's activities for a system, by name in the page's language."""
    language = translation.get_language() or "en"
    return ", ".join(a.text("name", language) for a in activities_for_system(str(alias)))
