"""Mail servers for tests: one that takes its time, for fault tests that kill a worker while
it sends (it stores each message in the portal's outbox table, so the test can count what was
sent, after ``DSR_TEST_MAIL_SECONDS`` seconds), and one that refuses some addresses."""

import os
import smtplib
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.mail.backends import locmem
from django.core.mail.message import EmailMessage

from dsr.core.outbox import OutboxEmailBackend


class SlowOutboxBackend(OutboxEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(float(os.environ.get("DSR_TEST_MAIL_SECONDS", "0")))
        return super().send_messages(email_messages)


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses the addresses in ``DSR_TEST_REFUSED_RECIPIENTS`` for good
    (SMTP 550), and takes every other message as the test outbox does."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        refused = {a.lower() for a in getattr(settings, "DSR_TEST_REFUSED_RECIPIENTS", ())}
        for message in email_messages:
            bounced = {r: (550, b"no such mailbox") for r in message.to if r.lower() in refused}
            if bounced:
                raise smtplib.SMTPRecipientsRefused(bounced)
        return super().send_messages(email_messages)
