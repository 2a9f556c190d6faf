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

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.subject
