"""Print the current TOTP code of a demo account (development only)."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User


def current_code(secret: str) -> str:
    import time

    from allauth.mfa import app_settings

    return str(format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD)))


class Command(BaseCommand):
    help = "Print the current TOTP code of an account (only with DJANGO_DEBUG=true)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Only available in development (DJANGO_DEBUG=true).")
        authenticator = Authenticator.objects.filter(
            user__in=User.objects.filter(email=options["email"].lower()),
            type=Authenticator.Type.TOTP,
        ).first()
        if authenticator is None:
            raise CommandError("No TOTP authenticator for that account.")
        self.stdout.write(current_code(decrypt(authenticator.data["secret"])))
