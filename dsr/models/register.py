"""The processing register (Art. 30): what the controller does with personal data, where.

The access report draws its Art. 15(1)(a)to(h) and 15(2) information from here, per system;
Art. 19 notices know whom to tell. Texts are kept in English with optional German and Dutch
versions, so each subject reads them in their own language.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.controller import Matter

TRANSLATED_FIELDS = (
    "name",
    "purpose",
    "data_categories",
    "data_source",
    "retention",
    "automated_logic",
    "automated_consequences",
    "legitimate_interest",
)
RECIPIENT_TRANSLATED_FIELDS = ("safeguard_detail",)


def _translated(texts: dict[str, dict[str, str]] | None, field: str, language: str) -> str:
    return str((texts or {}).get(language, {}).get(field) or "")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (Art. 6(1)(a) GDPR)")
    CONTRACT = "contract", _("Contract (Art. 6(1)(b) GDPR)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c) GDPR)")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (Art. 6(1)(d) GDPR)")
    PUBLIC_TASK = "public_task", _("Public task (Art. 6(1)(e) GDPR)")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (Art. 6(1)(f) GDPR)")


class RecipientRole(models.TextChoices):
    PROCESSOR = "processor", _("Processor (acts on our instructions)")
    CONTROLLER = "controller", _("Another controller")
    AUTHORITY = "authority", _("Public authority")


class TransferSafeguard(models.TextChoices):
    NONE_NEEDED = "none_needed", _("In the EU/EEA: no transfer safeguard needed")
    ADEQUACY = "adequacy", _("Adequacy decision (Art. 45 GDPR)")
    SCC = "scc", _("Standard contractual clauses (Art. 46(2)(c) GDPR)")
    BCR = "bcr", _("Binding corporate rules (Art. 47 GDPR)")
    DEROGATION = "derogation", _("Derogation for a specific situation (Art. 49 GDPR)")


class Recipient(models.Model):
    """Named, as the CJEU requires (C-154/21): not just a category."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    role = models.CharField(_("role"), max_length=16, choices=RecipientRole.choices)
    address = models.TextField(_("address"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    safeguard = models.CharField(
        _("transfer safeguard"),
        max_length=16,
        choices=TransferSafeguard.choices,
        default=TransferSafeguard.NONE_NEEDED,
    )
    safeguard_detail = models.TextField(
        _("about the safeguard"),
        blank=True,
        help_text=_("E.g. where a copy of the standard contractual clauses can be obtained."),
    )
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Texts in other languages, e.g. {"de": {"safeguard_detail": "…"}}.'),
    )

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def text(self, field: str, language: str) -> str:
        """A text in the reader's language, falling back to the English one."""
        if field not in RECIPIENT_TRANSLATED_FIELDS:
            raise ValueError(f"{field} is not a translated field")
        return _translated(self.translations, field, language) or str(getattr(self, field))


class ProcessingActivity(models.Model):
    key = models.SlugField(
        _("key"),
        max_length=64,
        unique=True,
        help_text=_("Systems name their activities by this key in the connector configuration."),
    )
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    legitimate_interest = models.TextField(
        _("legitimate interest"), blank=True, help_text=_("Required for Art. 6(1)(f).")
    )
    data_categories = models.TextField(_("categories of personal data"))
    data_source = models.TextField(
        _("source"),
        blank=True,
        help_text=_(
            "Where the data comes from if not from the person (Art. 15(1)(g)); empty: "
            "from the person."
        ),
    )
    retention = models.TextField(_("retention period or criteria"))
    recipients = models.ManyToManyField(
        Recipient, verbose_name=_("recipients"), blank=True, related_name="activities"
    )
    automated_decision = models.BooleanField(
        _("automated decision-making, including profiling"),
        default=False,
        help_text=_(
            "Tick if this activity takes decisions about people by automated means alone that "
            "have legal or similarly significant effects on them (Art. 22 GDPR). The request "
            "form then offers a review of such a decision by a person."
        ),
    )
    direct_marketing = models.BooleanField(
        _("used for direct marketing"),
        default=False,
        help_text=_(
            "Tick if this activity sends or prepares direct marketing. An objection to direct "
            "marketing (Art. 21(2) GDPR) in a system none of whose activities is ticked is "
            'answered as "not used for direct marketing here".'
        ),
    )
    automated_logic = models.TextField(
        _("logic involved"),
        blank=True,
        help_text=_(
            "Meaningful information about the logic of the automated decision: what it looks "
            "at and how it comes to its result (Art. 15(1)(h), 13(2)(f) GDPR)."
        ),
    )
    automated_consequences = models.TextField(
        _("significance and envisaged consequences"),
        blank=True,
        help_text=_(
            "What the automated decision means for the person, e.g. an order is refused or "
            "only offered with prepayment (Art. 15(1)(h) GDPR)."
        ),
    )
    systems = models.JSONField(
        _("systems"),
        default=list,
        blank=True,
        help_text=_("Connector aliases of the systems that hold data for this activity."),
    )
    matter = models.CharField(
        _("about"),
        max_length=32,
        choices=Matter.choices,
        blank=True,
        help_text=_(
            "Where another supervisory authority is competent for this processing (e.g. "
            "telecommunications contracts): requests whose data is found here are suggested "
            "to the officer as being about it."
        ),
    )
    made_public = models.BooleanField(
        _("data made public"),
        default=False,
        help_text=_(
            "Tick if this activity makes personal data public (a public profile, a published "
            "review, a directory). An erasure of such data opens a task to inform the "
            "controllers listed below that the person asked for erasure (Art. 17(2) GDPR)."
        ),
    )
    published_where = models.TextField(
        _("where it is made public"),
        blank=True,
        help_text=_("For the notice to those controllers: the page or service, e.g. its address."),
    )
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Texts in other languages, e.g. {"de": {"name": "…", "purpose": "…"}}.'),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def text(self, field: str, language: str) -> str:
        """A text in the reader's language, falling back to the English one."""
        if field not in TRANSLATED_FIELDS:
            raise ValueError(f"{field} is not a translated field")
        return _translated(self.translations, field, language) or str(getattr(self, field))


class PublicController(models.Model):
    """A controller known to process data an activity made public: Art. 17(2) GDPR asks us to
    take reasonable steps to inform it when the person asks for erasure."""

    activity = models.ForeignKey(
        ProcessingActivity,
        on_delete=models.CASCADE,
        related_name="public_controllers",
        verbose_name=_("processing activity"),
    )
    name = models.CharField(_("name"), max_length=300)
    contact = models.TextField(
        _("contact"), help_text=_("Where to reach it: e-mail address, postal address or web form.")
    )

    class Meta:
        verbose_name = _("controller processing the published data")
        verbose_name_plural = _("controllers processing the published data")
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["activity", "name"], name="one_public_controller_name")
        ]

    def __str__(self) -> str:
        return self.name
