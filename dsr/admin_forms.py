"""The admin's forms for the processing register: one field per language for every text the
subject reads, and the systems picked by name from the configured ones.

The stored shape does not change: the English text in the model's own field, the others in
``translations`` as ``{"de": {"name": "…"}, "nl": {…}}`` (what ``ProcessingActivity.text``
reads), the systems as a list of connector aliases.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors import registry
from connectors.registry import SystemConfig
from dsr.core.register import activities_for_system
from dsr.models import Controller, LegalBasis, OtherController, ProcessingActivity, Recipient
from dsr.models.forwarding import PARTY_TRANSLATED_FIELDS
from dsr.models.register import RECIPIENT_TRANSLATED_FIELDS, TRANSLATED_FIELDS

SOURCE_LANGUAGE = "en"


def other_languages() -> list[tuple[str, str]]:
    """The languages a text is written in besides English, as (code, name)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def translated_name(field: str, language: str) -> str:
    """The form field holding ``field`` in ``language``, e.g. ``purpose_de``."""
    return f"{field}_{language}"


def system_label(system: SystemConfig) -> str:
    """A system by its name, with the register's activities for it."""
    names = [activity.name for activity in activities_for_system(system.alias)]
    if names:
        return _("%(name)s (activities: %(activities)s)") % {
            "name": system.name,
            "activities": ", ".join(names),
        }
    return _("%(name)s (no activity yet)") % {"name": system.name}


def language_fields(model: type[models.Model], fields: tuple[str, ...]) -> dict[str, forms.Field]:
    """The form fields for ``fields`` in every language but English (declared on the form
    class, as the admin's fieldsets require)."""
    result: dict[str, forms.Field] = {}
    for code, name in settings.LANGUAGES:
        if code == SOURCE_LANGUAGE:
            continue
        for field in fields:
            model_field = model._meta.get_field(field)
            assert isinstance(model_field, models.Field)
            long_text = isinstance(model_field, models.TextField)
            attrs = {"lang": code, "class": "vLargeTextField" if long_text else "vTextField"}
            result[translated_name(field, code)] = forms.CharField(
                label=format_lazy("{} ({})", capfirst(model_field.verbose_name), name),
                required=False,
                max_length=getattr(model_field, "max_length", None),
                widget=forms.Textarea(attrs=attrs) if long_text else forms.TextInput(attrs=attrs),
            )
    return result


class TranslatedTextsForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model form whose translated texts get one field per language."""

    translated_fields: tuple[str, ...] = ()
    # The text that heads the others in the reader's language (required with any of them).
    named_by = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.translations or {}
        english = dict(settings.LANGUAGES)[SOURCE_LANGUAGE]
        for field in self.translated_fields:
            source = self.fields[field]
            source.label = format_lazy("{} ({})", source.label, english)
            for code, _name in other_languages():
                name = translated_name(field, code)
                self.fields[name].help_text = _("Empty: the %(language)s text is shown.") % {
                    "language": english
                }
                if name not in self.initial:
                    self.initial[name] = str(stored.get(code, {}).get(field) or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code, name in other_languages():
            given = [f for f in self.translated_fields if data.get(translated_name(f, code))]
            # A language's texts without its name would show a German purpose under an
            # English heading: the name comes first.
            first = self.named_by
            if first and given and first not in given:
                self.add_error(
                    translated_name(first, code),
                    _("Give the name in %(language)s too, or leave all its texts empty.")
                    % {"language": name},
                )
        return data

    def save(self, commit: bool = True) -> Any:
        stored: dict[str, Any] = dict(self.instance.translations or {})
        for code, _name in other_languages():
            texts = {
                key: value
                for key, value in dict(stored.get(code) or {}).items()
                if key not in self.translated_fields
            }
            for field in self.translated_fields:
                value = self.cleaned_data.get(translated_name(field, code), "").strip()
                if value:
                    texts[field] = value
            if texts:
                stored[code] = texts
            else:
                stored.pop(code, None)
        self.instance.translations = stored
        return super().save(commit)


def offer_systems(form: forms.ModelForm) -> None:  # type: ignore[type-arg]
    """The form's ``systems`` field offers the configured systems by name."""
    configured = registry.systems()
    choices = [(alias, system_label(system)) for alias, system in configured.items()]
    # A system named here earlier but no longer configured stays visible (and can be
    # unticked) rather than vanishing from the row on the next save.
    for alias in form.instance.systems or []:
        if alias not in configured:
            choices.append((alias, _("%(alias)s (not configured)") % {"alias": alias}))
    field = form.fields["systems"]
    assert isinstance(field, forms.MultipleChoiceField)
    field.choices = choices


class ProcessingActivityForm(TranslatedTextsForm):
    translated_fields = TRANSLATED_FIELDS
    named_by = "name"
    # Declared in the class body (a class body's locals() is its namespace): the form's
    # metaclass collects them like fields written out by hand, as the admin requires.
    locals().update(language_fields(ProcessingActivity, TRANSLATED_FIELDS))

    systems = forms.MultipleChoiceField(
        label=gettext_lazy("Systems"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The configured systems that hold data for this activity, with the activities "
            "the register has for them."
        ),
    )

    class Meta:
        model = ProcessingActivity
        fields = (
            "key",
            "name",
            "purpose",
            "legal_basis",
            "legitimate_interest",
            "data_categories",
            "data_source",
            "retention",
            "recipients",
            "automated_decision",
            "direct_marketing",
            "automated_logic",
            "automated_consequences",
            "systems",
            "matter",
            "made_public",
            "published_where",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_systems(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        basis = data.get("legal_basis")
        if basis == LegalBasis.LEGITIMATE_INTERESTS and not data.get("legitimate_interest"):
            self.add_error(
                "legitimate_interest",
                _("Name the legitimate interest: the access report must state it."),
            )
        return data


class RecipientForm(TranslatedTextsForm):
    translated_fields = RECIPIENT_TRANSLATED_FIELDS
    locals().update(language_fields(Recipient, RECIPIENT_TRANSLATED_FIELDS))

    class Meta:
        model = Recipient
        fields = ("name", "role", "address", "country", "safeguard", "safeguard_detail")


class OtherControllerForm(TranslatedTextsForm):
    translated_fields = PARTY_TRANSLATED_FIELDS
    locals().update(language_fields(OtherController, PARTY_TRANSLATED_FIELDS))

    systems = forms.MultipleChoiceField(
        label=gettext_lazy("Systems"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The systems that hold the data it controls (a forwarding of part of a request "
            "covers these)."
        ),
    )

    class Meta:
        model = OtherController
        fields = (
            "name",
            "kind",
            "address",
            "request_email",
            "language",
            "contact_point",
            "arrangement",
            "activities",
            "systems",
            "domains",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_systems(self)


class ControllerForm(TranslatedTextsForm):
    translated_fields = Controller.TRANSLATED
    locals().update(language_fields(Controller, Controller.TRANSLATED))

    class Meta:
        model = Controller
        fields = (
            "name",
            "address",
            "email",
            "dpo_name",
            "dpo_contact",
            "country",
            "subdivision",
            "time_zone",
        )


def translated_fieldsets(fields: tuple[str, ...]) -> list[Any]:
    """One fieldset per other language, for the admin's ``fieldsets``."""
    return [
        (name, {"fields": [translated_name(field, code) for field in fields]})
        for code, name in other_languages()
    ]


__all__ = [
    "ProcessingActivityForm",
    "RecipientForm",
    "translated_fieldsets",
]
