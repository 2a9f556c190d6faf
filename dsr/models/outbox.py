"""E-mail kept in the database in embedded mode, so the demo works without an SMTP server."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    from_email = models.CharField(_("from"), max_length=300)
    to = models.TextField(_("to"))
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("message id"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.subject


class OutboxAttachment(models.Model):
    """A file an outbox e-mail carried (a letter's PDF copy), to open from the outbox page."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    content = models.BinaryField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.filename


class DeliveryState(models.TextChoices):
    OWED = "owed", _("owed")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """Work owed outside the database (an e-mail, an answer package, a letter): written in the
    transaction of the change that owes it, sent after the commit, swept again when overdue.

    Ids only in ``args``: what is sent is read from the records when it is sent.
    """

    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    task = models.CharField(_("task"), max_length=120)
    args = models.JSONField(_("arguments"), default=list)
    label = models.CharField(_("what"), max_length=60)
    request = models.ForeignKey(
        "dsr.SubjectRequest",
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    # Safe to do again whatever happened before (a package build); an e-mail is not: once it
    # may have left, it is never sent again without an officer deciding so.
    repeatable = models.BooleanField(default=False)
    state = models.CharField(
        _("state"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.OWED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("owed since"), auto_now_add=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("message id"), max_length=300, blank=True)
    # Why it failed, in words without personal data (never an exception's message).
    error = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=["state", "due_at"], name="delivery_state_due")]

    def __str__(self) -> str:
        return f"{self.label} ({self.state})"
