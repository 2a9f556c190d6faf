from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors import registry
from dsr.admin_forms import (
    ControllerForm,
    OtherControllerForm,
    ProcessingActivityForm,
    RecipientForm,
    translated_fieldsets,
)
from dsr.core import letters
from dsr.models import (
    Controller,
    LetterTemplate,
    OpenDSRController,
    OtherController,
    OutboxMessage,
    ProcessingActivity,
    PublicController,
    Recipient,
    SupervisoryAuthority,
)
from dsr.models.forwarding import PARTY_TRANSLATED_FIELDS
from dsr.models.letters import LetterKind
from dsr.models.register import RECIPIENT_TRANSLATED_FIELDS
from dsr.placeholders import REQUIRED, VARIABLES, problems
from dsr.services import opendsr_inbound


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
    form = ControllerForm
    list_display = ("name", "country", "subdivision", "time_zone", "updated_at")
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "address",
                    "email",
                    "dpo_name",
                    "dpo_contact",
                    "country",
                    "subdivision",
                    "time_zone",
                ]
            },
        ),
        *translated_fieldsets(Controller.TRANSLATED),
    ]
    inlines = [SupervisoryAuthorityInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One controller per installation.
        return not Controller.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin[Recipient]):
    form = RecipientForm
    list_display = ("name", "role", "country", "safeguard")
    list_filter = ("role", "safeguard")
    search_fields = ("name",)
    fieldsets = [
        (
            None,
            {"fields": ["name", "role", "address", "country", "safeguard", "safeguard_detail"]},
        ),
        *translated_fieldsets(RECIPIENT_TRANSLATED_FIELDS),
    ]


class PublicControllerInline(admin.TabularInline[PublicController, ProcessingActivity]):
    model = PublicController
    extra = 0


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(admin.ModelAdmin[ProcessingActivity]):
    """Each text the subject reads in English, then in the other languages; the systems by
    name (``dsr.admin_forms``)."""

    form = ProcessingActivityForm
    list_display = ("name", "key", "legal_basis", "system_names", "active")
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
    fieldsets = [
        (None, {"fields": ["key", "name", "legal_basis", "active", "systems", "recipients"]}),
        (
            gettext_lazy("Texts in English"),
            {
                "description": gettext_lazy(
                    "What the access report tells the person. The other languages follow "
                    "below; a text left empty there is shown in English."
                ),
                "fields": [
                    "purpose",
                    "legitimate_interest",
                    "data_categories",
                    "data_source",
                    "retention",
                ],
            },
        ),
        (
            gettext_lazy("Automated decisions, marketing and publication"),
            {
                "fields": [
                    "automated_decision",
                    "automated_logic",
                    "automated_consequences",
                    "direct_marketing",
                    "made_public",
                    "published_where",
                    "matter",
                ]
            },
        ),
        # In the order of the English texts above.
        *translated_fieldsets(
            (
                "name",
                "purpose",
                "legitimate_interest",
                "data_categories",
                "data_source",
                "retention",
                "automated_logic",
                "automated_consequences",
            )
        ),
    ]

    @admin.display(description=gettext_lazy("systems"))
    def system_names(self, activity: ProcessingActivity) -> str:
        configured = registry.systems()
        return ", ".join(
            configured[alias].name if alias in configured else alias
            for alias in activity.systems or []
        )


@admin.register(OtherController)
class OtherControllerAdmin(admin.ModelAdmin[OtherController]):
    """Joint controllers and customer organisations that requests are forwarded to."""

    form = OtherControllerForm
    list_display = ("name", "kind", "request_email", "language", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "domains")
    filter_horizontal = ("activities",)
    fieldsets = [
        (None, {"fields": list(OtherControllerForm.Meta.fields)}),  # the form's own list
        *translated_fieldsets(PARTY_TRANSLATED_FIELDS),
    ]


@admin.register(OpenDSRController)
class OpenDSRControllerAdmin(admin.ModelAdmin[OpenDSRController]):
    """Controllers whose processor we are, allowed to send us OpenDSR requests. Saving a new
    one issues its bearer token and shared secret, shown once; the action issues new ones."""

    list_display = ("name", "domain", "language", "verified_by_controller", "active")
    list_filter = ("active",)
    search_fields = ("name", "domain")
    actions = ("issue_new_credentials",)

    def save_model(
        self, request: HttpRequest, obj: OpenDSRController, form: Any, change: bool
    ) -> None:
        if not obj.token_hash:
            self._issue(request, obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Issue a new token and secret (the old ones stop working)"))
    def issue_new_credentials(self, request: HttpRequest, queryset: Any) -> None:
        for controller in queryset:
            self._issue(request, controller)
            controller.save(update_fields=["token_hash", "secret_encrypted"])

    def _issue(self, request: HttpRequest, controller: OpenDSRController) -> None:
        credentials = opendsr_inbound.issue_credentials(controller)
        messages.warning(
            request,
            _(
                "Give these to %(name)s now; they are not shown again. Bearer token: %(token)s "
                "Shared secret: %(secret)s"
            )
            % {"name": controller.name, "token": credentials.token, "secret": credentials.secret},
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ("created_at", "to", "subject")
    search_fields = ("to", "subject")
    readonly_fields = ("created_at", "from_email", "to", "subject", "body", "html")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin[LetterTemplate]):
    """The privacy admin's own wording for a letter; the built-in text is used otherwise. A new
    text starts from the portal's own in the chosen language, and can be previewed with a
    sample request before it is saved."""

    list_display = ("kind", "language", "subject", "active", "updated_at")
    list_filter = ("kind", "language", "active")
    change_form_template = "admin/dsr/lettertemplate/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="dsr_lettertemplate_preview",
            )
        ]
        return own + super().get_urls()

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET" and not self._chosen(request):
            return self.choose_view(request)
        return super().add_view(request, form_url, extra_context)

    @staticmethod
    def _chosen(request: HttpRequest) -> tuple[str, str] | None:
        kind, language = request.GET.get("kind", ""), request.GET.get("language", "")
        if kind in LetterKind.values and language in dict(settings.LANGUAGES):
            return kind, language
        return None

    def choose_view(self, request: HttpRequest) -> HttpResponse:
        """Which letter, in which language: each starts from the portal's own text."""
        written = {
            (t.kind, t.language): t.pk for t in LetterTemplate.objects.only("kind", "language")
        }
        rows = [
            (
                label,
                [(code, name, written.get((kind, code))) for code, name in settings.LANGUAGES],
                kind,
            )
            for kind, label in LetterKind.choices
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Which letter do you want to write?"),
            "rows": rows,
        }
        return TemplateResponse(request, "admin/dsr/lettertemplate/choose.html", context)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = dict(super().get_changeform_initial_data(request))
        chosen = self._chosen(request)
        if chosen:
            subject, body = letters.default_text(*chosen)
            initial.update(kind=chosen[0], language=chosen[1], subject=subject, body=body)
        return initial

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The text as a requester would read it, with a sample request, in its language."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        kind = request.POST.get("kind", "")
        language = request.POST.get("language", "")
        if kind not in LetterKind.values or language not in dict(settings.LANGUAGES):
            return HttpResponseBadRequest(_("Choose the letter and its language."))
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        found = problems(kind, subject, required=False) + problems(kind, body, required=True)
        shown_subject, shown_body = letters.preview(kind, language, subject=subject, body=body)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Preview: %(letter)s") % {"letter": LetterKind(kind).label},
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "subject": shown_subject,
            "body": shown_body,
            "problems": found,
        }
        return TemplateResponse(request, "admin/dsr/lettertemplate/preview.html", context)

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
