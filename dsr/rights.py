"""The rights a data subject can invoke, with the words the portal uses for them."""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Right(models.TextChoices):
    ACCESS = "access", _("A copy of your data")
    RECTIFICATION = "rectification", _("Correction")
    ERASURE = "erasure", _("Erasure")
    RESTRICTION = "restriction", _("Restriction")
    PORTABILITY = "portability", _("Data portability")
    OBJECTION = "objection", _("Your right to object")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdrawing consent")
    AUTOMATED_DECISION = "automated_decision", _("Review of an automated decision")


@dataclass(frozen=True)
class RightInfo:
    right: Right
    article: str
    summary: Promise


RIGHTS: dict[Right, RightInfo] = {
    info.right: info
    for info in (
        RightInfo(
            Right.ACCESS,
            "15",
            _(
                "Find out whether we process your data, get a copy, and learn why we use it, "
                "with whom we share it and for how long we keep it (Art. 15 GDPR)."
            ),
        ),
        RightInfo(
            Right.RECTIFICATION,
            "16",
            _("Have inaccurate data corrected and incomplete data completed (Art. 16 GDPR)."),
        ),
        RightInfo(
            Right.ERASURE,
            "17",
            _(
                "Have your data erased. Where the law obliges us to keep some records, we tell "
                "you which, why and until when (Art. 17 GDPR)."
            ),
        ),
        RightInfo(
            Right.RESTRICTION,
            "18",
            _(
                "Have the use of your data restricted, for example while its accuracy is "
                "checked (Art. 18 GDPR)."
            ),
        ),
        RightInfo(
            Right.PORTABILITY,
            "20",
            _(
                "Receive the data you gave us in a machine-readable format, or have it sent to "
                "another company (Art. 20 GDPR)."
            ),
        ),
        RightInfo(
            Right.OBJECTION,
            "21",
            _(
                "You may object at any time to the use of your data for direct marketing; we "
                "then stop, without exceptions. You may also object to other processing based "
                "on our legitimate interests for reasons arising from your particular situation "
                "(Art. 21 GDPR)."
            ),
        ),
        RightInfo(
            Right.CONSENT_WITHDRAWAL,
            "7(3)",
            _(
                "Withdraw a consent you gave at any time, as easily as you gave it "
                "(Art. 7(3) GDPR)."
            ),
        ),
        RightInfo(
            Right.AUTOMATED_DECISION,
            "22",
            _(
                "Where we decided something about you by automated means alone, with legal or "
                "similarly significant effects, you may have a person review it, express your "
                "point of view and contest the decision (Art. 22 GDPR)."
            ),
        ),
    )
}
