"""Privacy admins create, name, limit and revoke API keys, and subscribe webhooks (Django
admin). A key's secret and a subscription's signing secret are shown once, on creation."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dsr.models import ApiKey, Scope, WebhookDelivery, WebhookEvent, WebhookSubscription
from dsr.services import api_keys, webhook_subscriptions

SHOWN_ONCE = "admin/dsr/secret_shown_once.html"


class ApiKeyForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "rate", "expires_at")

    def clean_rate(self) -> str:
        rate = str(self.cleaned_data.get("rate") or "").strip()
        if rate and not api_keys.valid_rate(rate):
            raise forms.ValidationError(_("Write the rate limit as count/seconds, e.g. 600/60."))
        return rate


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    form = ApiKeyForm
    list_display = (
        "name",
        "prefix",
        "scopes",
        "rate",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoked, never deleted: the audit log names the key

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = api_keys.create_key(
            name=obj.name,
            scopes=list(form.cleaned_data["scopes"]),
            rate=obj.rate,
            expires_at=obj.expires_at,
            created_by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.key.pk
        obj._state.adding = False
        obj.shown_once = created.token  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None) -> Any:
        return _shown_once(
            request,
            title=_("API key %(name)s created") % {"name": obj.name},
            secret=obj.shown_once,  # type: ignore[attr-defined]
            note=_(
                "Copy the key now: it is shown only this once (we keep only its hash). Send it "
                "as Authorization: Bearer <key>."
            ),
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_keys.revoke_key(key)
        self.message_user(request, _("The keys are revoked."), messages.SUCCESS)


class SubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "active")

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        if webhook_subscriptions.egress_problem(url):
            raise forms.ValidationError(
                _(
                    "The portal may not post to this URL: use public https, or ask for its "
                    "host to be put on DSR_WEBHOOK_ALLOWED_HOSTS."
                )
            )
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = SubscriptionForm
    list_display = ("name", "url", "events", "active", "created_at")
    list_filter = ("active",)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        subscription, secret = webhook_subscriptions.subscribe(
            name=obj.name,
            url=obj.url,
            events=list(form.cleaned_data["events"]),
            created_by=request.user,
        )
        if not obj.active:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
        obj.pk = subscription.pk
        obj._state.adding = False
        obj.shown_once = secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: Any = None
    ) -> Any:
        return _shown_once(
            request,
            title=_("Webhook %(name)s subscribed") % {"name": obj.name},
            secret=obj.shown_once,  # type: ignore[attr-defined]
            note=_(
                "Copy the signing secret now: it is shown only this once. Each delivery carries "
                "X-DSR-Signature: sha256=<HMAC-SHA256 of the raw body with this secret>."
            ),
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "attempts",
        "last_status",
        "last_error",
        "delivered_at",
    )
    list_filter = ("event", "subscription")
    readonly_fields = (
        "subscription",
        "event",
        "payload",
        "request",
        "created_at",
        "attempts",
        "last_status",
        "last_error",
        "last_attempt_at",
        "delivered_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _shown_once(request: HttpRequest, *, title: str, secret: str, note: str) -> HttpResponse:
    response = render(
        request,
        SHOWN_ONCE,
        {**admin.site.each_context(request), "title": title, "secret": secret, "note": note},
    )
    response["Cache-Control"] = "no-store"
    return response
