"""``{% marketing_objection_url email language %}`` for the controller's marketing e-mails."""

from django import template

from dsr.core.marketing_links import objection_url

register = template.Library()


@register.simple_tag
def marketing_objection_url(email: str, language: str = "") -> str:
    return objection_url(email, language)
