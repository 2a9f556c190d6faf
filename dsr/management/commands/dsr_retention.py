"""Purge closed requests past their retention period (LEGAL.md §5), as the daily task does.

Prints counts only: no reference, no address, nothing about a person.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dsr.services.retention import purge_closed


class Command(BaseCommand):
    help = (
        "Delete closed requests whose retention period "
        "(DSR_RECORD_RETENTION_YEARS after the end of the year of closure) is over and that "
        "nothing holds. --dry-run counts what would go and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count only; delete and write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        result = purge_closed(dry_run=dry_run)
        years = settings.DSR_RECORD_RETENTION_YEARS
        self.stdout.write(f"Retention: {years} year(s) after the end of the year of closure.")
        self.stdout.write(f"Past their retention period: {result.due}")
        for reason, count in sorted(result.held.items()):
            self.stdout.write(f"Held ({reason}): {count}")
        if dry_run:
            held = sum(result.held.values())
            self.stdout.write(f"Would purge: {result.due - held} (dry run: nothing changed)")
            return
        self.stdout.write(f"Purged: {result.purged}")
        for label, count in sorted(result.deleted.items()):
            self.stdout.write(f"  {label}: {count}")
