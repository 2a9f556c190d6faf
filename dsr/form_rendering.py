"""The project's form renderer: Django's form templates, overridden for Bootstrap 5.

Pages render forms with ``{{ form }}`` or ``{{ field.as_field_group }}``; the markup lives in
``templates/django/forms/`` (the field group, the form, radio buttons) and
``templates/forms/field_compact.html`` (filters and inline controls). The widgets get their
Bootstrap classes here, so no page writes an ``<input>`` for a form field by hand. Django's own
``aria-invalid`` and ``aria-describedby`` (help text, errors) are kept.
"""

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

# The Bootstrap class a widget's control needs; the first match wins.
CONTROL_CLASSES: tuple[tuple[type[forms.Widget], str], ...] = (
    (forms.CheckboxInput, "form-check-input"),
    (forms.RadioSelect, "form-check-input"),  # before Select: a RadioSelect is a ChoiceWidget
    (forms.CheckboxSelectMultiple, "form-check-input"),
    (forms.Select, "form-select"),
    (forms.SelectMultiple, "form-select"),
)
BOOTSTRAP_BASES = {"form-control", "form-select", "form-check-input"}


def control_class(widget: forms.Widget) -> str:
    for widget_class, css in CONTROL_CLASSES:
        if isinstance(widget, widget_class):
            return css
    return "form-control"


class PortalBoundField(BoundField):
    @property
    def template_name(self) -> str:
        # A form whose fields sit in a row of filters or an inline form names the field
        # template for all of them (``field_template_name``), instead of each field.
        # getattr: django-stubs does not know Field.template_name (Django 5.0) yet.
        return str(
            getattr(self.field, "template_name", None)
            or getattr(self.form, "field_template_name", None)
            or self.form.renderer.field_template_name
        )

    @property
    def group_id(self) -> str:
        """The id of the field's group (templates/django/forms/field.html): the field's own id
        without Django's ``id_``, so it is unique wherever the field's id is (two forms on one
        page with their own ``auto_id`` or ``prefix``); "field-email" for the usual "id_email"."""
        return "field-" + (self.auto_id.removeprefix("id_") if self.auto_id else self.html_name)

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            return attrs
        # A form may size its control (form-select-sm): keep its classes, add what is missing.
        classes = str(attrs.get("class") or widget.attrs.get("class") or "").split()
        if not BOOTSTRAP_BASES.intersection(classes):
            classes.insert(0, control_class(widget))
        if self.errors and "is-invalid" not in classes:
            classes.append("is-invalid")
        attrs["class"] = " ".join(classes)
        return attrs


class PortalFormRenderer(TemplatesSetting):
    """Templates from the project's TEMPLATES, so templates/django/forms/ overrides Django's
    (``django.forms`` is in INSTALLED_APPS for the templates not overridden)."""

    bound_field_class = PortalBoundField
