"""Erase again, in restored systems, what the portal erased since a backup was taken."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dsr.processing.replay import replay


class Command(BaseCommand):
    help = "After restoring a source system from a backup: replay the erasures done since then."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", required=True, help="the backup's date (YYYY-MM-DD)")
        parser.add_argument(
            "--system", action="append", help="only this system (repeat for more); default all"
        )
        parser.add_argument("--dry-run", action="store_true", help="list, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            since = date.fromisoformat(options["since"])
        except ValueError as exc:
            raise CommandError("--since must be a date, YYYY-MM-DD") from exc
        done = replay(since, systems=options["system"], dry_run=options["dry_run"])
        for item in done:  # references and counts only: no personal data on the terminal
            line = f"{item.reference} {item.system}"
            if not options["dry_run"]:
                line += f": {item.erased} erased, {item.anonymised} anonymised"
            self.stdout.write(line)
        verb = "would be replayed" if options["dry_run"] else "replayed"
        self.stdout.write(self.style.SUCCESS(f"{len(done)} erasures {verb}."))
