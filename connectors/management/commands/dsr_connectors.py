"""List the configured source systems; with --check, reach each one."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors import registry
from connectors.base import ConnectorError


class Command(BaseCommand):
    help = "List the configured source systems and, with --check, test each connection."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="connect to every system")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            systems = registry.systems()
        except ConnectorError as exc:
            raise CommandError(f"The connector configuration is invalid: {exc}") from exc
        if not systems:
            self.stdout.write("No systems are configured (DSR_CONNECTORS_FILE).")
            return
        failed = 0
        for alias, config in systems.items():
            line = f"{alias:16} {config.name:24} {config.category:10} stage {config.stage}"
            if options["check"]:
                try:
                    backend = registry.connector(alias)
                    detail = backend.check()
                    capabilities = ", ".join(sorted(backend.capabilities))
                    line += self.style.SUCCESS(f"  ok: {detail}") + f"  [{capabilities}]"
                except ConnectorError as exc:
                    failed += 1
                    line += self.style.ERROR(f"  FAILED: {type(exc).__name__}: {exc}")
            self.stdout.write(line)
        if failed:
            raise CommandError(f"{failed} of {len(systems)} systems failed the check.")
