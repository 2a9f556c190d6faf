"""The JSON API's keys, and the webhooks the portal posts to when something happens."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    # File requests and follow the ones this key filed (a call centre, a ticketing system).
    INTAKE = "intake", _("Intake: file requests and read those filed with this key")
    # Read every request: status, due dates, timeline, the queue's filters.
    READ = "read", _("Read: every request's status, due dates and timeline")
    # Read, and act as the officer who created the key: messages, manual results, packages.
    OFFICER = "officer", _("Officer: read, write to requesters, upload results, fetch answers")


class ApiKey(models.Model):
    """A key a privacy admin created. Only the SHA-256 of the secret is kept; the secret is
    shown once, when the key is created. ``prefix`` is the visible start of the key, to tell
    keys apart in the admin and the audit log."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # "count/seconds", like the other rate limits; empty: DSR_API_RATE.
    rate = models.CharField(
        _("rate limit"),
        max_length=32,
        blank=True,
        help_text=_("Calls per period as count/seconds, e.g. 600/60. Empty: the default."),
    )
    # Who the key acts as: the events an officer key records name this account.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class ApiFiling(models.Model):
    """A request filed through the API, and with which key: an intake key sees only these."""

    request = models.OneToOneField(
        "dsr.SubjectRequest", on_delete=models.CASCADE, related_name="api_filing"
    )
    key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="filings")

    class Meta:
        verbose_name = _("request filed through the API")
        verbose_name_plural = _("requests filed through the API")

    def __str__(self) -> str:
        return f"{self.request_id} ({self.key_id})"


class WebhookEvent(models.TextChoices):
    REQUEST_CREATED = "request.created", _("Request created")
    REQUEST_VERIFIED = "request.verified", _("Request verified")
    REQUEST_COMPLETED = "request.completed", _("Request completed")
    REQUEST_OVERDUE = "request.overdue", _("Request overdue")
    JOB_FAILED = "job.failed", _("Connector job failed")


class WebhookSubscription(models.Model):
    """A URL a privacy admin subscribed to events. Deliveries are signed with the
    subscription's secret (kept encrypted: it is needed to sign)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event posted to one subscription: the log of its attempts. The outbox row
    (``Delivery``) makes sure it is sent and retried; this one says what the receiver said.
    The payload holds references and ids, never personal data."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"), default=dict)
    request = models.ForeignKey(
        "dsr.SubjectRequest",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscription_id}"
