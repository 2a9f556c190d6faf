"""Load the demo data (idempotent) and print the demo logins."""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dsr.demo import load_full_demo
from dsr.demo_systems import DEMO_SUBJECT


class Command(BaseCommand):
    help = "Load the demo controller and staff accounts; safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DJANGO_DEBUG=false (demo passwords are public).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("Refusing to load public demo logins into a production site.")
        for noisy in ("weasyprint", "celery", "connectors", "dsr"):
            # The demo requests run their jobs in this process: keep the start-up output short.
            logging.getLogger(noisy).setLevel(logging.WARNING)
        logins = load_full_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Staff logins (password, TOTP):"))
        for login in logins:
            self.stdout.write(
                f"  {login.role:16} {login.email:24} password: {login.password}  "
                f"TOTP secret: {login.totp_secret}"
            )
        self.stdout.write(
            "  Add the TOTP secret to an authenticator app, or get the current code with:\n"
            "  python manage.py dsr_totp officer@demo.example\n"
            f"  Demo data subject (in the CRM, billing and the support chat): {DEMO_SUBJECT}\n"
            f"  Source systems: {settings.VAR_DIR / 'demo'} (`make run` sets DSR_CONNECTORS_FILE "
            f"to {settings.VAR_DIR / 'demo' / 'connectors.yaml'})"
        )
