from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dsr.models import (
    Controller,
    LetterTemplate,
    OtherController,
    OutboxMessage,
    ProcessingActivity,
    PublicController,
    Recipient,
    SupervisoryAuthority,
)
from dsr.placeholders import REQUIRED, VARIABLES


class AuthorityFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        """One authority per matter, and one for all other matters: each request's letters
        name exactly one (``dsr.core.controller.competent_authority``)."""
        super().clean()
        matters = [
            form.cleaned_data.get("matter", "")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(matters) != len(set(matters)):
            raise ValidationError(
                _("Name one authority per matter, and one for all other matters.")
            )


class SupervisoryAuthorityInline(admin.StackedInline[SupervisoryAuthority, Controller]):
    model = SupervisoryAuthority
    formset = AuthorityFormSet
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Controller)
class ControllerAdmin(admin.ModelAdmin[Controller]):
    list_display = ("name", "country", "subdivision", "time_zone", "updated_at")
    inlines = [SupervisoryAuthorityInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One controller per installation.
        return not Controller.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin[Recipient]):
    list_display = ("name", "role", "country", "safeguard")
    list_filter = ("role", "safeguard")
    search_fields = ("name",)


class PublicControllerInline(admin.TabularInline[PublicController, ProcessingActivity]):
    model = PublicController
    extra = 0


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(admin.ModelAdmin[ProcessingActivity]):
    list_display = ("name", "key", "legal_basis", "automated_decision", "made_public", "active")
    list_filter = (
        "legal_basis",
        "active",
        "automated_decision",
        "direct_marketing",
        "made_public",
    )
    inlines = [PublicControllerInline]
    search_fields = ("name", "key", "purpose")
    filter_horizontal = ("recipients",)
    prepopulated_fields = {"key": ("name",)}


@admin.register(OtherController)
class OtherControllerAdmin(admin.ModelAdmin[OtherController]):
    """Joint controllers and customer organisations that requests are forwarded to."""

    list_display = ("name", "kind", "request_email", "language", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "domains")
    filter_horizontal = ("activities",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ("created_at", "to", "subject")
    search_fields = ("to", "subject")
    readonly_fields = ("created_at", "from_email", "to", "subject", "body", "html")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin[LetterTemplate]):
    """The privacy admin's own wording for a letter; the built-in text is used otherwise."""

    list_display = ("kind", "language", "subject", "active", "updated_at")
    list_filter = ("kind", "language", "active")

    def get_form(
        self,
        request: HttpRequest,
        obj: LetterTemplate | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        required = ", ".join(f"{kind}: {' + '.join(names)}" for kind, names in REQUIRED.items())
        variables = ", ".join(f"{{{{ {name} }}}} ({text})" for name, text in VARIABLES.items())
        kwargs["help_texts"] = {
            "body": _("Variables: %(variables)s. Required: %(required)s.")
            % {"variables": variables, "required": required}
        }
        return super().get_form(request, obj, change, **kwargs)


# The API keys and webhook subscriptions register themselves (dsr/api/admin.py).
from dsr.api import admin as api_admin  # noqa: E402, F401
