"""Extending the deadline by two months (Art. 12(3))."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core.clock import clock_for, today
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import (
    COMPLEXITY_FACTS,
    NUMBER_FACTS,
    EventKind,
    ExtensionFact,
    ExtensionGround,
    SubjectRequest,
)


def check_ground(ground: str, facts: list[str]) -> None:
    """The ground is one Art. 12(3) allows, and the facts named support it; effort or workload
    is never a ground (EDPB Guidelines 01/2022 § 160 ff.: only the complexity and the number of
    requests)."""
    if ground not in ExtensionGround.values:
        raise RequestError(_("Please choose the ground of the extension."))
    if ExtensionFact.EFFORT in facts:
        raise RequestError(
            _(
                "Effort or workload alone is not a ground for an extension: Art. 12(3) GDPR "
                "allows it only for the complexity and the number of requests. Name the facts "
                "that make this request complex or the requests numerous."
            )
        )
    unknown = set(facts) - set(ExtensionFact.values)
    if unknown or not facts:
        raise RequestError(_("Name the facts the extension rests on."))
    complex_ = bool(set(facts) & COMPLEXITY_FACTS)
    numerous = bool(set(facts) & NUMBER_FACTS)
    needs = {
        ExtensionGround.COMPLEXITY: complex_,
        ExtensionGround.NUMBER_OF_REQUESTS: numerous,
        ExtensionGround.BOTH: complex_ and numerous,
    }
    if not needs[ExtensionGround(ground)]:
        raise RequestError(_("The facts named do not support the ground chosen."))


@transaction.atomic
def extend(
    request: SubjectRequest,
    *,
    officer: User,
    reasons: str,
    ground: str,
    facts: list[str],
) -> None:
    """Art. 12(3): once, by two months, on one of its grounds with the facts that support it
    and reasons, notified before the one-month date."""
    if not reasons.strip():
        raise RequestError(_("An extension needs reasons, and they are sent to the requester."))
    check_ground(ground, facts)
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    clock = clock_for(request)
    if request.extended or not clock.extension_allowed(today()):
        raise RequestError(
            _("The deadline can be extended only once, and only until the one-month date.")
        )
    record(
        request,
        EventKind.EXTENDED,
        actor=officer,
        reason=reasons.strip(),
        data={"ground": ground, "facts": sorted(facts)},
    )
    send_to_requester(request, "extended")
