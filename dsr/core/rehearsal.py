"""Preview and confirm: a use case is rehearsed in a transaction that is rolled back, and the
letters it would owe are rendered as they would go out; it runs for real only once the officer
confirms what they saw, and only if the same run still owes the same letters.

Rehearsing the use case itself, rather than drawing a picture of what it would do, is what makes
the preview exact: the letter is rendered from the records the action writes, by the code that
sends it. Nothing leaves during a rehearsal: e-mails, connector jobs and files are all sent after
the commit (``dsr.core.taskqueue``), and a rolled-back transaction never commits.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from dsr.core.messages import SEND_TASK, Draft, draft
from dsr.models import SubjectRequest

T = TypeVar("T")

SALT = "dsr.core.rehearsal"


@dataclass(frozen=True)
class Rehearsal(Generic[T]):
    letters: tuple[Draft, ...]
    # What the officer confirms: the case as it was and the letters it would owe, keyed so that
    # it cannot be made up (it says nothing readable about either).
    fingerprint: str
    done: bool  # True: it ran for real and was committed
    result: T


class _RolledBack(Exception):
    def __init__(self, rehearsal: Rehearsal[object]) -> None:
        self.rehearsal = rehearsal


def state(item: SubjectRequest) -> str:
    """What the case looked like: its last event and the answer package that would go."""
    last = item.events.order_by("-pk").values_list("pk", flat=True).first()
    package = (
        item.packages.filter(deleted_at__isnull=True).values_list("pk", "sha256").first() or ()
    )
    return json.dumps([item.status, last, list(package)])


def rehearse(item: SubjectRequest, run: Callable[[], T], *, confirmed: str = "") -> Rehearsal[T]:
    """Run ``run`` with the request locked and render the letters it owes. Committed only when
    ``confirmed`` is the fingerprint of this very run (the officer saw these letters for this
    state of the case); otherwise rolled back, and the rehearsal says what would go out now.
    A ``RequestError`` (or any other exception) of ``run`` rolls back and propagates."""
    try:
        with transaction.atomic():
            locked = SubjectRequest.objects.select_for_update().get(pk=item.pk)
            seen = state(locked)
            before = set(locked.deliveries.values_list("pk", flat=True))
            result = run()
            owed = locked.deliveries.filter(task=SEND_TASK).exclude(pk__in=before).order_by("pk")
            letters = tuple(
                letter for letter in (draft(*delivery.args) for delivery in owed) if letter
            )
            fingerprint = _fingerprint(seen, letters)
            if not (confirmed and constant_time_compare(confirmed, fingerprint)):
                raise _RolledBack(Rehearsal(letters, fingerprint, False, result))
    except _RolledBack as rolled_back:
        return rolled_back.rehearsal  # type: ignore[return-value]  # the result of this run
    return Rehearsal(letters, fingerprint, True, result)


def _fingerprint(seen: str, letters: tuple[Draft, ...]) -> str:
    shown = [[d.template, d.to, d.subject, d.unlinked, d.language] for d in letters]
    return salted_hmac(SALT, json.dumps([seen, shown]), algorithm="sha256").hexdigest()
