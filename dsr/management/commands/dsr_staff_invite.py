"""E-mail a staff member the invitation to set up two-factor authentication.

The way in for the first privacy admin (``createsuperuser`` makes an account without MFA, and
the admin, where invitations are otherwise sent, is behind the MFA gate).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import invitations
from accounts.models import User
from dsr.core.errors import RequestError


class Command(BaseCommand):
    help = "E-mail a staff member the invitation to set up two-factor authentication."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The staff member's e-mail address (their login).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError("No account with that e-mail address.")
        try:
            invitation = invitations.issue(user=user)
        except RequestError as refused:
            raise CommandError(str(refused)) from refused
        expires = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"Invitation sent to {user.email}; it expires at {expires}.")
