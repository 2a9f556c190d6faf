"""Print the statutory due dates of a request received on a given day, as one JSON object."""

import json
import re
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dsr import deadlines
from dsr.core.controller import get_controller

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_received(value: str) -> date:
    # date.fromisoformat also takes 20250305 and 2025-W10-3; the command promises YYYY-MM-DD.
    if not ISO_DATE.fullmatch(value):
        raise CommandError(
            f"RECEIVED must be a date written YYYY-MM-DD, e.g. 2025-03-05; got {value!r}."
        )
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"RECEIVED {value!r} is not a real date ({exc}).") from exc


class Command(BaseCommand):
    help = (
        "Print the due dates of a request received on RECEIVED (YYYY-MM-DD) as JSON: "
        '{"received", "due", "extended_due", "explanation"}. The holiday calendar is the '
        "controller's unless --country is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("received", metavar="RECEIVED", help="Receipt date, YYYY-MM-DD.")
        parser.add_argument(
            "--country", help="Country code of the holiday calendar (default: the controller's)."
        )
        parser.add_argument(
            "--subdivision",
            help="Region code, e.g. NW (default: the controller's; national with --country).",
        )
        parser.add_argument(
            "--paused-days",
            type=int,
            default=0,
            help="Days the clock stood still: one pause asked on receipt, answered N days later.",
        )
        parser.add_argument(
            "--extended",
            action="store_true",
            help="Explain the extended period (extended_due is printed either way).",
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the explanation.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        received = parse_received(options["received"])
        paused_days: int = options["paused_days"]
        if paused_days < 0:
            raise CommandError(f"--paused-days cannot be negative; got {paused_days}.")

        country: str | None = options["country"]
        subdivision: str | None = options["subdivision"]
        if country is None:
            # Only here is the database needed: a given --country means a national calendar.
            controller = get_controller()
            country = controller.country
            if subdivision is None:
                subdivision = controller.subdivision
        try:
            calendar = deadlines.calendar_for(country, subdivision or "")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        pauses: tuple[deadlines.Pause, ...] = ()
        if paused_days:
            pauses = (deadlines.Pause(received, received + timedelta(days=paused_days)),)
        computed = deadlines.compute(
            deadlines.DeadlineInput(
                received=received,
                calendar=calendar,
                pauses=pauses,
                # Decided on receipt, so always in time; it only changes the explanation.
                extended_on=received if options["extended"] else None,
            )
        )
        self.stdout.write(
            json.dumps(
                {
                    "received": received.isoformat(),
                    "due": computed.policy_due.isoformat(),
                    "extended_due": computed.policy_extended_due.isoformat(),
                    "explanation": deadlines.explain(computed, options["language"], calendar),
                }
            )
        )
