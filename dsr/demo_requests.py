"""A handful of demo requests in different states, made through the real services.

The fan-out runs in this process (Celery eager) against the demo's SQLite systems, so every
state is reached before ``make run`` starts the worker: an overdue access request whose answer
waits for release, a request paused on a question, a correction the CRM refused (a failed job),
a marketing objection done and closed, and a request about a telecommunications contract (its
letters name the BfDI) still waiting for its e-mail confirmation.
Erika Mustermann, the subject of the README's tour, is left alone.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from dsr.celery import app
from dsr.models import Channel, Matter, SubjectRequest
from dsr.rights import Right
from dsr.services import assignment, questions, rectification, verification
from dsr.services.completion import complete
from dsr.services.intake import Intake, SubjectDetails, submit_request

# The demo's requests are recognised by these addresses (loading again adds nothing).
OVERDUE = "max.mustermann@example.com"
PAUSED = "jan.jansen@example.nl"
FAILED = "sophie.devries@example.nl"
COMPLETED = "lukas.becker@example.de"
UNCONFIRMED = "noah.weber@example.de"


def _eager() -> Callable[[], None]:
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True

    def restore() -> None:
        app.conf.task_always_eager = before

    return restore


def _intake(
    right: Right,
    email: str,
    name: str,
    *,
    language: str = "en",
    channel: str = Channel.WEB,
    days_ago: int = 0,
    details: dict[str, Any] | None = None,
    matter: str = "",
) -> Intake:
    return Intake(
        rights={right: details or {}},
        subject=SubjectDetails(email=email, name=name),
        language=language,
        channel=channel,
        received_at=timezone.now() - timedelta(days=days_ago),
        matter=matter,
        extra={"send_verification": channel == Channel.WEB},
    )


def load_requests(officer: User, second: User) -> int:
    """Create the demo requests that are missing; returns how many were made."""

    existing = set(SubjectRequest.objects.values_list("email", flat=True))
    made = 0
    restore = _eager()
    try:
        if OVERDUE not in existing:
            # A letter that came in 40 days ago, entered by the officer: the answer is built
            # but not yet released, and the one-month date has passed.
            item = submit_request(
                intake=_intake(
                    Right.ACCESS,
                    OVERDUE,
                    "Max Mustermann",
                    language="de",
                    channel=Channel.POST,
                    days_ago=40,
                ),
                entered_by=officer,
            )
            assignment.assign(item, officer=officer, assignee=officer)
            verification.verify_manually(
                item,
                officer=officer,
                reason="Signed letter; name, customer number and address match the CRM.",
            )
            made += 1
        if PAUSED not in existing:
            item = submit_request(
                intake=_intake(
                    Right.RECTIFICATION,
                    PAUSED,
                    "Jan Jansen",
                    language="nl",
                    details={"what": "Mijn adres is veranderd."},
                )
            )
            questions.request_information(
                item,
                officer=second,
                purpose="identity",
                question=(
                    "Vermeld uw klantnummer, zodat wij zeker weten dat het om uw gegevens gaat."
                ),
            )
            made += 1
        if FAILED not in existing:
            item = submit_request(
                intake=_intake(
                    Right.RECTIFICATION,
                    FAILED,
                    "Sophie de Vries",
                    language="nl",
                    channel=Channel.EMAIL,
                    days_ago=6,
                    details={"what": "Add my mobile number next to the office number."},
                ),
                entered_by=officer,
            )
            assignment.assign(item, officer=officer, assignee=second)
            verification.verify_manually(
                item, officer=second, reason="Reply from the address held in the CRM."
            )
            item = SubjectRequest.objects.get(pk=item.pk)
            # Too long for the CRM's phone column: the CRM refuses, the job fails.
            rectification.set_rectification(
                item,
                officer=second,
                changes=rectification.parse_changes(
                    "contacts.phone = +31 10 555 0123 (office), +31 6 1234 5678 (mobile)"
                ),
            )
            made += 1
        if COMPLETED not in existing:
            item = submit_request(
                intake=_intake(
                    Right.OBJECTION,
                    COMPLETED,
                    "Lukas Becker",
                    channel=Channel.EMAIL,
                    days_ago=12,
                    details={"kind": "direct_marketing"},
                ),
                entered_by=second,
            )
            verification.verify_manually(
                item, officer=second, reason="Sent from the address held in the CRM."
            )

            complete(SubjectRequest.objects.get(pk=item.pk), officer=second)
            made += 1
        if UNCONFIRMED not in existing:
            # About his mobile contract: the letters name the BfDI, the others the LDI NRW.
            submit_request(
                intake=_intake(
                    Right.ERASURE,
                    UNCONFIRMED,
                    "Noah Weber",
                    language="de",
                    matter=Matter.TELECOMMUNICATIONS,
                )
            )
            made += 1
    finally:
        restore()
    return made
