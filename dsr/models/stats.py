"""What the accountability statistics keep of a closed request: no personal data, no reference.

A row is written when a request closes and outlives the request when the retention purge
deletes it (LEGAL.md §5), so the yearly figures stay what they were.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    PARTLY_REFUSED = "partly_refused", _("Partly refused")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Closed: identity not confirmed")


# The outcomes where the requester got an answer from us: the on-time rates and the days to
# close are about these (a withdrawn or expired request had nobody waiting for an answer).
ANSWERED = frozenset({Outcome.COMPLETED, Outcome.PARTLY_REFUSED, Outcome.REFUSED})


class RequestOutcome(models.Model):
    """One closed request, as the statistics see it.

    ``on_time``: closed on or before the one-month date (Art. 12(3)), moved by the pauses the
    deadline engine counts and rolled to a working day, ignoring any extension.
    ``on_time_extended``: closed on or before the date that applied, the extended one if the
    period was extended (otherwise the same as ``on_time``).
    ``systems``: per system alias ``{"jobs": n, "failed": m, "skipped": k}``; see
    ``dsr.services.outcomes.job_failed`` for what counts as failed.
    """

    # The request's primary key, only to keep one row per request: no foreign key, the request
    # may be purged.
    request_id = models.BigIntegerField(unique=True)
    rights = models.JSONField(_("rights"), default=list)  # sorted right codes
    channel = models.CharField(_("channel"), max_length=16)
    language = models.CharField(_("language"), max_length=8)
    requester_type = models.CharField(_("requested by"), max_length=16)
    received_on = models.DateField(_("date of receipt"), db_index=True)
    closed_on = models.DateField(_("closed on"), db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    extended = models.BooleanField(_("extended"), default=False)
    extended_on = models.DateField(_("extended on"), null=True, blank=True)
    extension_ground = models.CharField(_("ground of the extension"), max_length=32, blank=True)
    refusal_ground = models.CharField(_("ground of the refusal"), max_length=32, blank=True)
    # Art. 22: what the review of the automated decision came to (a ``ReviewOutcome``).
    review_outcome = models.CharField(_("outcome of the review"), max_length=16, blank=True)
    on_time = models.BooleanField(_("answered within one month"))
    on_time_extended = models.BooleanField(_("answered within the deadline that applied"))
    days_to_close = models.PositiveIntegerField(_("days to close"))
    systems = models.JSONField(_("systems"), default=dict)
    # Per forwarding: the kind of controller it went to and whether it was the whole request,
    # ``[{"kind": "joint_controller", "whole": false}]``.
    forwarded = models.JSONField(_("forwarded"), default=list, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("request outcome")
        verbose_name_plural = _("request outcomes")
        ordering = ("closed_on", "request_id")

    def __str__(self) -> str:
        return f"{self.request_id} {self.outcome} {self.closed_on}"
