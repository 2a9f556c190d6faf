"""The answer package a data subject downloads: stored encrypted, with its manifest."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.requests import SubjectRequest


class AnswerPackage(models.Model):
    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="packages")
    storage_name = models.CharField(max_length=255, blank=True)
    # What the stored file is sealed to (dsr.core.crypto, format 3); None: sealed to the id.
    file_id = models.UUIDField(null=True, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0)  # of the clear ZIP
    sha256 = models.CharField(max_length=64, blank=True)  # of the clear ZIP
    records = models.PositiveIntegerField(default=0)
    # The manifest's summary (no personal data): files, hashes, what each system returned.
    manifest = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Nothing leaves before an officer has looked at it (third parties, exceptions).
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("answer package")
        verbose_name_plural = _("answer packages")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.created_at:%Y-%m-%d}"

    @property
    def available(self) -> bool:
        from django.utils import timezone

        return (
            self.released_at is not None
            and self.deleted_at is None
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


class Withholding(models.TextChoices):
    """Why an item is withheld from a copy (Art. 15(4) GDPR): the person is told the category
    (a marker in the files, a line in the letter), never the withheld text itself."""

    THIRD_PARTY = "third_party", _("Another person's personal data")
    TRADE_SECRET = "trade_secret", _("A trade secret or intellectual property")
    CONFIDENTIAL = "confidential", _("Information we must keep confidential by law")


class Redaction(models.Model):
    """Third-party data the officer took out of the answer (Art. 15(4)), with the reason.

    The text is matched in every value of every record, whatever its case, and replaced in every
    file of the package: the CSV files, data.json and the report.
    """

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="redactions")
    text = models.CharField(_("text to redact"), max_length=200)
    system = models.CharField(_("system"), max_length=64, blank=True)  # blank: every system
    category = models.CharField(
        _("why withheld"),
        max_length=16,
        choices=Withholding.choices,
        default=Withholding.THIRD_PARTY,
    )
    reason = models.TextField(_("reason"))
    officer = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("redaction")
        verbose_name_plural = _("redactions")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.system or '*'}"
