"""Requests that belong (partly) to another controller: a joint controller (Art. 26(3) GDPR)
or the customer organisation that administers an account for which we are its data trustee.
The register names them; a forwarding records what went to whom, and the signed message."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.register import ProcessingActivity
from dsr.models.requests import SubjectRequest

PARTY_TRANSLATED_FIELDS = ("arrangement", "contact_point")


class PartyKind(models.TextChoices):
    JOINT_CONTROLLER = "joint_controller", _("Joint controller (Art. 26 GDPR)")
    CUSTOMER_ORGANISATION = (
        "customer_organisation",
        _("Customer organisation that administers the accounts (we are its data trustee)"),
    )


class OtherController(models.Model):
    """A controller to which requests, or parts of them, are forwarded."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=PartyKind.choices)
    address = models.TextField(_("address"), blank=True)
    request_email = models.EmailField(
        _("where forwarded requests go"),
        help_text=_("The e-mail address of its privacy team or the arrangement's contact point."),
    )
    language = models.CharField(
        _("language of the forwarded message"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
    )
    contact_point = models.TextField(
        _("how the person reaches it"),
        help_text=_("Shown to the person in the letter that tells them who handles their request."),
    )
    arrangement = models.TextField(
        _("what it handles"),
        blank=True,
        help_text=_(
            "The essence of the arrangement (Art. 26(2) GDPR) or of the customer contract: "
            "which processing or data is its responsibility."
        ),
    )
    activities = models.ManyToManyField(
        ProcessingActivity,
        verbose_name=_("processing activities"),
        blank=True,
        related_name="other_controllers",
        help_text=_("The activities in the register that it controls jointly with us."),
    )
    systems = models.JSONField(
        _("systems"),
        default=list,
        blank=True,
        help_text=_(
            "Connector aliases of the systems that hold the data it controls (a forwarding "
            "of part of a request covers these)."
        ),
    )
    domains = models.CharField(
        _("e-mail domains"),
        max_length=500,
        blank=True,
        help_text=_(
            "For a customer organisation: the domains of the addresses whose accounts it "
            "administers, separated by commas; the case page suggests forwarding such requests."
        ),
    )
    opendsr_system = models.CharField(
        _("OpenDSR system"),
        max_length=64,
        blank=True,
        help_text=_(
            "If it receives requests by OpenDSR: the alias of the webhook system configured "
            "with its endpoint. Forwarded requests for access, portability or erasure then go "
            "there instead of by e-mail."
        ),
    )
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Texts in other languages, e.g. {"de": {"contact_point": "…"}}.'),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("other controller")
        verbose_name_plural = _("other controllers")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def text(self, field: str, language: str) -> str:
        """A text in the reader's language, falling back to the English one."""
        if field not in PARTY_TRANSLATED_FIELDS:
            raise ValueError(f"{field} is not a translated field")
        translated = (self.translations or {}).get(language, {}).get(field)
        return str(translated or getattr(self, field))

    def domain_list(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.domains.split(",") if d.strip()]


class Forwarding(models.Model):
    """A request, or the part of it held in some systems, forwarded to another controller."""

    request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="forwardings"
    )
    party = models.ForeignKey(OtherController, on_delete=models.PROTECT, related_name="forwardings")
    # Empty: the whole request; otherwise the connector aliases of the systems concerned.
    systems = models.JSONField(default=list, blank=True)
    note = models.TextField(_("message to the other controller"), blank=True)
    forwarded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    forwarded_at = models.DateTimeField()
    # Part of the signed verification link; the digest of the message as it was sent.
    nonce = models.CharField(max_length=32)
    body_sha256 = models.CharField(max_length=64, blank=True)
    # Sent by OpenDSR: the subject_request_id it went with.
    opendsr_request_id = models.CharField(max_length=36, blank=True)

    class Meta:
        verbose_name = _("forwarding")
        verbose_name_plural = _("forwardings")
        ordering = ("forwarded_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=["request", "party"], name="one_forwarding_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.party_id}"

    @property
    def whole(self) -> bool:
        return not self.systems

    @property
    def fingerprint(self) -> str:
        """The message's SHA-256 in groups of eight, for comparing by eye or reading aloud."""
        digest = self.body_sha256
        return " ".join(digest[i : i + 8] for i in range(0, len(digest), 8))

    @property
    def skip_reason(self) -> str:
        """Why the jobs of the forwarded systems were skipped (the officers' words)."""
        return f"Forwarded to {self.party.name}: its data, its decision."
