"""The audit log: ``verify`` the hash chain, ``export`` one request's entries as evidence."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dsr.core import audit
from dsr.models import AuditEntry, SubjectRequest


class Command(BaseCommand):
    help = (
        "verify: check that no audit log entry (or request event) was edited, deleted or "
        "inserted; exits 1 and names each break. export REFERENCE: print the request's entries "
        "with their hashes as JSON, for a supervisory authority."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify")
        export = sub.add_parser("export")
        export.add_argument("reference")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            found = audit.Verified()
            problems = list(audit.verify(found))
            for problem in problems:
                self.stderr.write(f"entry {problem.seq}: {problem.what}")
            if problems:
                raise CommandError(f"The audit log is broken in {len(problems)} place(s).")
            count = AuditEntry.objects.count()
            self.stdout.write(f"The audit log is intact: {count} entries.")
            if found.keyed_from is not None:
                self.stdout.write(
                    f"Keyed from entry {found.keyed_from}: set DSR_AUDIT_KEYED_FROM="
                    f"{found.keyed_from} to pin it outside the database."
                )
            return
        request = SubjectRequest.objects.filter(reference=options["reference"]).first()
        if request is None:
            raise CommandError(f"No request with the reference {options['reference']!r}.")
        entries = audit.export(request.pk)
        self.stdout.write(
            json.dumps({"reference": request.reference, "entries": entries}, indent=2)
        )
