"""Direct transmission of a portability answer to another controller (Art. 20(2) GDPR)."""

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.answers import AnswerPackage
from dsr.models.requests import SubjectRequest


class TransmissionState(models.TextChoices):
    REQUESTED = "requested", _("Asked for on the form, not yet confirmed")
    CONFIRMED = "confirmed", _("Confirmed by the requester")
    SENT = "sent", _("Download link sent to the recipient")
    NOT_FEASIBLE = "not_feasible", _("Not technically feasible")


class Transmission(models.Model):
    """The person names the recipient on the form and confirms it on their status page; when
    the answer is released the recipient gets a signed, expiring link to the same package."""

    request = models.OneToOneField(
        SubjectRequest, on_delete=models.CASCADE, related_name="transmission"
    )
    recipient_name = models.CharField(_("recipient"), max_length=200)
    # As the person gave it (an e-mail address, or an address the recipient's team gave them);
    # ``recipient_email`` only when it is one a link can be sent to.
    recipient_contact = models.CharField(_("recipient's address"), max_length=500, blank=True)
    recipient_email = models.EmailField(_("recipient's e-mail address"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=TransmissionState.choices,
        default=TransmissionState.REQUESTED,
    )
    reason = models.TextField(_("why it is not feasible"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    package = models.ForeignKey(
        AnswerPackage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Part of the signed link: a new one makes every earlier link worthless.
    nonce = models.CharField(max_length=32, blank=True)

    # Not stored: what became of the recipient's e-mail, read from its delivery and sent copy
    # (``dsr.services.transmission.with_delivery``).
    delivery: str = ""
    delivered_at: datetime | None = None

    class Meta:
        verbose_name = _("direct transmission")
        verbose_name_plural = _("direct transmissions")

    def __str__(self) -> str:
        return f"{self.request_id}:{self.state}"
