"""The controller answering the requests: who it is, where, and who supervises it."""

import zoneinfo

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_country(value: str) -> None:
    if value not in holidays.list_supported_countries():
        raise ValidationError(
            _("No holiday calendar is available for the country code %(value)s."),
            params={"value": value},
        )


class Controller(models.Model):
    """One row: the data controller. Seeded from the environment, then edited by the admin."""

    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("postal address"), blank=True)
    email = models.EmailField(_("privacy contact e-mail"), blank=True)
    dpo_name = models.CharField(_("data protection officer"), max_length=200, blank=True)
    dpo_contact = models.TextField(
        _("data protection officer's contact"),
        blank=True,
        help_text=_("Address and e-mail of the data protection officer (Art. 13(1)(b), 37(7))."),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[validate_country],
        help_text=_("ISO 3166 code; chooses the public holidays that move deadlines."),
    )
    subdivision = models.CharField(
        _("region"),
        max_length=10,
        blank=True,
        help_text=_("Subdivision code, e.g. NW for North Rhine-Westphalia; empty for national."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Berlin",
        validators=[validate_time_zone],
        help_text=_("Fixes the calendar date on which a request was received."),
    )
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_(
            "The address and the DPO's contact in other languages (their country line), e.g. "
            '{"de": {"address": "…", "dpo_contact": "…"}}.'
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("controller")
        verbose_name_plural = _("controller")

    def __str__(self) -> str:
        return self.name

    TRANSLATED = ("address", "dpo_contact")

    def text(self, field: str, language: str) -> str:
        """A text field as written for ``language`` (the address's country line, say), else
        as written."""
        texts = (self.translations or {}).get(language) or {}
        return str(texts.get(field) or getattr(self, field))

    def clean(self) -> None:
        if self.subdivision and self.country:
            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as exc:
                raise ValidationError(
                    {
                        "subdivision": _("%(subdivision)s is not a region of %(country)s.")
                        % {"subdivision": self.subdivision, "country": self.country}
                    }
                ) from exc


class Matter(models.TextChoices):
    """What a request can be about that makes another supervisory authority competent (in
    Germany the federal commissioner, BfDI, supervises providers of telecommunications and
    postal services for those services; the Land authority everything else)."""

    TELECOMMUNICATIONS = "telecommunications", _("telecommunications services")
    POSTAL = "postal", _("postal services")


class SupervisoryAuthority(models.Model):
    """A supervisory authority competent for the controller: the default one (no matter) and
    one per matter it is competent for. Each letter names exactly one of them, chosen for the
    request by ``dsr.core.controller.competent_authority``."""

    controller = models.ForeignKey(Controller, on_delete=models.CASCADE, related_name="authorities")
    name = models.CharField(_("name"), max_length=300)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    matter = models.CharField(
        _("competent for"),
        max_length=32,
        choices=Matter.choices,
        blank=True,
        help_text=_(
            "Requests about this matter go to this authority; empty: the authority for all "
            "other requests. One authority per matter."
        ),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("supervisory authority")
        verbose_name_plural = _("supervisory authorities")
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.name

    @property
    def competence(self) -> str:
        """What it is competent for, in the active language; empty for the default one."""
        return str(self.get_matter_display()) if self.matter else ""
