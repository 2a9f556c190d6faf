"""The one-click objection link and List-Unsubscribe headers for the controller's marketing
e-mails: addresses in, one CSV line per address out."""

import csv
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.forms import ValidationError

from dsr.core.marketing_links import list_unsubscribe_headers, objection_url


class Command(BaseCommand):
    help = (
        "Print the signed one-click objection link and the List-Unsubscribe and "
        "List-Unsubscribe-Post headers for each address (given as arguments, or one a line on "
        "standard input) as CSV: email,url,list_unsubscribe,list_unsubscribe_post."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("emails", nargs="*")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the letters an objection with these links causes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        emails = options["emails"] or [line.strip() for line in sys.stdin if line.strip()]
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["email", "url", "list_unsubscribe", "list_unsubscribe_post"])
        for number, email in enumerate(emails, start=1):
            try:
                validate_email(email)
            except ValidationError as exc:
                # The line number, not the text: it may be somebody's mistyped address.
                raise CommandError(f"Entry {number} is not an e-mail address.") from exc
            language = options["language"]
            url = objection_url(email, language)
            headers = list_unsubscribe_headers(email, language, url=url)
            writer.writerow(
                [
                    email,
                    url,
                    headers["List-Unsubscribe"],
                    headers["List-Unsubscribe-Post"],
                ]
            )
