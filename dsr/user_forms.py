"""The privacy admin's forms on the staff accounts page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

ROLE_CHOICES = [
    (Role.OFFICER.name.lower(), _("Privacy officer: works the requests")),
    (Role.ADMIN.name.lower(), _("Privacy admin: also configures the portal and its staff")),
]


def role_named(value: str) -> Role:
    return Role[value.upper()]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    language = forms.ChoiceField(
        label=_("Language of the invitation and of the pages"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
