"""Controllers whose processor we are, sending requests by OpenDSR (the portal as processor),
and what each request they sent became here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.requests import SubjectRequest


class OpenDSRController(models.Model):
    """A controller a privacy admin allowed to send us OpenDSR requests. It authenticates with
    a bearer token (kept as its SHA-256 only) and signs every message with a shared secret,
    which also signs the status callbacks we send it (kept encrypted: both sides need it)."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    domain = models.CharField(
        _("domain"),
        max_length=253,
        unique=True,
        help_text=_(
            "Its OpenDSR domain, e.g. privacy.example.com: our controller_id for it. Status "
            "callbacks go only to addresses on this domain."
        ),
    )
    language = models.CharField(
        _("language of its requests"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    systems = models.JSONField(
        _("systems"),
        default=list,
        blank=True,
        help_text=_(
            "The systems (aliases) that hold the data we process on its behalf: its requests "
            "are carried out there only."
        ),
    )
    verified_by_controller = models.BooleanField(
        _("it verifies the people"),
        default=True,
        help_text=_(
            "Its requests count as verified: it checked who the person is. Otherwise an "
            "officer verifies each of them."
        ),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("OpenDSR controller")
        verbose_name_plural = _("OpenDSR controllers")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class OpenDSRRequest(models.Model):
    """A request an OpenDSR controller sent, and the portal request it became. Holds no
    identity: that is on the request; the callback URLs are the controller's endpoints."""

    controller = models.ForeignKey(
        OpenDSRController, on_delete=models.PROTECT, related_name="requests"
    )
    subject_request_id = models.UUIDField()
    request = models.OneToOneField(SubjectRequest, on_delete=models.CASCADE, related_name="opendsr")
    api_version = models.CharField(max_length=8, default="2.0")
    regulation = models.CharField(max_length=8, default="gdpr")
    callback_urls = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("OpenDSR request")
        verbose_name_plural = _("OpenDSR requests")
        constraints = [
            models.UniqueConstraint(
                fields=["controller", "subject_request_id"], name="opendsr_request_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.subject_request_id)
