"""A mail server that takes its time, for fault tests that kill a worker while it sends.

It stores each message in the portal's outbox table (so the test can count what was sent),
after ``DSR_TEST_MAIL_SECONDS`` seconds.
"""

import os
import time
from collections.abc import Sequence

from django.core.mail.message import EmailMessage

from dsr.core.outbox import OutboxEmailBackend


class SlowOutboxBackend(OutboxEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(float(os.environ.get("DSR_TEST_MAIL_SECONDS", "0")))
        return super().send_messages(email_messages)
