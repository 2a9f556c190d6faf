"""An e-mail backend for the embedded mode: keeps every message in the outbox table.

With ``DSR_OUTBOX_PRINT`` (on in development) the message is also printed by the process
that sent it (usually the worker), so the demo's verification links can be followed from the
terminal too. Never enable it in production: e-mails carry personal data.
"""

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives
from django.utils import timezone

from dsr.models import OutboxAttachment, OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    # The message is a row written in the caller's transaction (dsr.core.taskqueue).
    transactional = True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = str(content)
            stored = OutboxMessage.objects.create(
                from_email=message.from_email,
                to=", ".join(message.recipients()),
                subject=str(message.subject),
                body=str(message.body),
                html=html,
                message_id=str(message.extra_headers.get("Message-ID", "")),
            )
            for attachment in message.attachments:
                # (name, content, type) as ``attach`` takes them; a MIME part we never send.
                if isinstance(attachment, tuple):
                    name, content, mimetype = attachment
                    OutboxAttachment.objects.create(
                        message=stored,
                        filename=name or "",
                        content_type=mimetype or "application/octet-stream",
                        content=content.encode() if isinstance(content, str) else content,
                    )
            if settings.DSR_OUTBOX_PRINT:
                self._print(stored)
            sent += 1
        return sent

    @staticmethod
    def _print(message: OutboxMessage) -> None:
        rule = "-" * 72
        sys.stdout.write(
            f"\n{rule}\n[outbox #{message.pk}] To: {message.to}\nSubject: {message.subject}\n\n"
            f"{message.body}\n{rule}\n"
        )
        sys.stdout.flush()


def purge_outbox(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.DSR_OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted
