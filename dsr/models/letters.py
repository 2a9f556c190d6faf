"""Letter texts the privacy admin may rewrite, with a fixed set of safe variables."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.placeholders import problems


class LetterKind(models.TextChoices):
    VERIFIED = "verified", _("Acknowledgement (identity confirmed)")
    INFO_REQUESTED = "info_requested", _("Request for information")
    EXTENDED = "extended", _("Extension notice")
    REFUSED = "refused", _("Refusal or partial refusal")
    COMPLETED = "completed", _("Completion")
    ANSWER_READY = "answer_ready", _("Answer ready to download")
    EXPIRED = "expired", _("Closed: identity not confirmed")
    AGENT_REJECTED = "agent_rejected", _("Agent rejected by the data subject")


class LetterTemplate(models.Model):
    """Replaces the built-in text of one letter in one language. Only ``{{ variable }}``
    placeholders from ``dsr.placeholders.VARIABLES`` are allowed: no template code runs."""

    kind = models.CharField(_("letter"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ("kind", "language")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="one_letter_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def clean(self) -> None:
        errors = {}
        for field in ("subject", "body"):
            found = problems(self.kind, getattr(self, field), required=field == "body")
            if found:
                errors[field] = found
        if errors:
            raise ValidationError(errors)
