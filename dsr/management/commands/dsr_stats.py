"""The accountability statistics: ``backfill`` records the outcome of closed requests that
have none (closed before outcomes were recorded)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dsr.services import outcomes


class Command(BaseCommand):
    help = (
        "backfill: write the statistics record of every closed request that has none yet. "
        "Safe to run again; prints how many were written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("backfill")

    def handle(self, *args: Any, **options: Any) -> None:
        count = outcomes.backfill()
        self.stdout.write(f"Recorded the outcome of {count} closed request(s).")
