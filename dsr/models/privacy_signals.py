"""Objections by automated means (Art. 21(5)) and one-click objection links, as they arrive."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dsr.models.requests import SubjectRequest


class SignalSource(models.TextChoices):
    GPC = "gpc", _("Global Privacy Control signal sent by the browser")
    ONE_CLICK = "one_click", _("One-click objection link in a marketing e-mail")


class SignalIdentifier(models.TextChoices):
    """How we knew whose signal it was: never more than the person already proved to us."""

    ACCOUNT = "account", _("Signed-in account with a verified e-mail address")
    STATUS_ACCESS = "status_access", _("Status page opened with a code sent to the address")
    MARKETING_LINK = "marketing_link", _("Signed link sent to the address")


class PrivacySignal(models.Model):
    """One signal: who (the account, or the address of the objection it belongs to), when, how
    we recognised the person, and at most a keyed hash of the browser's user agent. Every
    signal belongs to the direct-marketing objection it opened or found, and goes with it when
    that request's record is purged."""

    request = models.ForeignKey(
        SubjectRequest,
        verbose_name=_("objection"),
        on_delete=models.CASCADE,
        related_name="privacy_signals",
    )
    source = models.CharField(_("signal"), max_length=16, choices=SignalSource.choices)
    identified_by = models.CharField(
        _("recognised by"), max_length=16, choices=SignalIdentifier.choices
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    user_agent_hash = models.CharField(_("browser (keyed hash)"), max_length=16, blank=True)
    # True for the signal that opened the objection; later ones only add to the record.
    opened_request = models.BooleanField(_("opened the objection"), default=False)

    class Meta:
        verbose_name = _("privacy signal")
        verbose_name_plural = _("privacy signals")
        ordering = ("received_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.source}"
