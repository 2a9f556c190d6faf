"""Decisions that one officer proposes and a second one approves (four eyes)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dsr.models.requests import SubjectRequest


class ProposalKind(models.TextChoices):
    ERASURE = "erasure", _("Approval of the erasure")
    REFUSAL = "refusal", _("Refusal or partial refusal")
    OBJECTION = "objection", _("Decision on the objection (Art. 21(1) GDPR)")
    DECISION_REVIEW = "decision_review", _("Review of the automated decision (Art. 22(3) GDPR)")
    FEE = "fee", _("A reasonable fee instead of a refusal (Art. 12(5) GDPR)")


class ReviewOutcome(models.TextChoices):
    """What the person who reviewed an automated decision made of it (Art. 22(3) GDPR)."""

    UPHELD = "upheld", _("Upheld: the decision stands")
    CHANGED = "changed", _("Changed: a different decision replaces it")
    WITHDRAWN = "withdrawn", _("Withdrawn: the decision no longer applies")


class ProposalOutcome(models.TextChoices):
    PENDING = "pending", _("Waiting for a second officer")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Sent back")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Proposal(models.Model):
    """A decision waiting for (or given) a second officer's approval.

    ``payload`` holds only the choices (refusal: ground, statute, partial; objection: upheld;
    decision review: outcome, activity, the reviewer's role, view considered);
    what the officer wrote is in ``reason``. The database itself refuses a proposal decided by
    the officer who proposed it; a withdrawal (by the proposer) leaves ``decided_by`` empty.
    """

    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(_("decision"), max_length=16, choices=ProposalKind.choices)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    reason = models.TextField(_("reasons"))
    # PROTECT: the officers who took a decision stay on record (Art. 5(2)); deactivate instead.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ProposalOutcome.choices,
        default=ProposalOutcome.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("proposed decision")
        verbose_name_plural = _("proposed decisions")
        ordering = ("proposed_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind"],
                condition=Q(outcome="pending"),
                name="one_pending_proposal_per_kind",
            ),
            # Four eyes: never the same person on both sides (NULL passes: not decided yet).
            models.CheckConstraint(
                condition=~Q(decided_by=F("proposed_by")),
                name="proposal_decided_by_another_officer",
            ),
            # Approved or sent back: by someone, at some time; pending: by nobody yet.
            models.CheckConstraint(
                condition=Q(outcome="pending", decided_by__isnull=True, decided_at__isnull=True)
                | Q(outcome="withdrawn", decided_by__isnull=True, decided_at__isnull=False)
                | Q(
                    outcome__in=["approved", "rejected"],
                    decided_by__isnull=False,
                    decided_at__isnull=False,
                ),
                name="proposal_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.outcome}"

    @property
    def is_pending(self) -> bool:
        return self.outcome == ProposalOutcome.PENDING
