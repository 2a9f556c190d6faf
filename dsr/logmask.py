"""A log filter that keeps data subjects out of the logs: e-mail addresses, signed link tokens
and one-time codes are masked in every record, whatever logged it.

It sits on every handler of our LOGGING, and ``install`` puts it on the loggers that write
request paths too (``django.request`` logs every 4xx/5xx path, "Not Found: /r/<token>/",
``django.security.csrf`` every refused post, ``django.server`` every request line), so a link
token stays out of the log whatever LOGGING a deployment configures.

Imported by the logging configuration before the apps are ready: nothing of Django's models here.
"""

import logging
import re

MASK = "[…]"
# An address, also URL-encoded in a query string ("erika%40example.org").
ADDRESS = re.compile(r"(?<![\w.+%\-])[\w.+%\-]+(?:@|%40)(?:[\w\-]+\.)+[\w\-]{2,}", re.UNICODE)
# The portal's signed links: /r/<token>/ (status; verify, confirm, open: one-time links), /t/
# (transmission), /f/ (forwarding), /o/ (objection), /tasks/ (a system owner's task),
# /my-requests/ (all of an address's requests; not the form at /my-requests/link/).
LINK_TOKEN = re.compile(
    r"(/(?:r/verify|r/confirm|r/open|r|t|f|o|tasks|my-requests)/)"
    r"(?!verify/|confirm/|open/|link/)[^/\s?#\"'<>]+"
)
# A Django-signed value anywhere else (payload:timestamp:signature, the signature base64).
SIGNED = re.compile(r"(?<![\w\-])\.?[\w\-]{6,}(?::[\w\-]{4,}){0,2}:[\w\-]{27,}(?![\w\-])")
# One-time codes: six digits on their own (not the fraction of a duration: "in 0.123456s").
CODE = re.compile(r"(?<![\w.,:])\d{6}(?!\w|[.,:]\d)")


def mask(text: str) -> str:
    text = ADDRESS.sub(MASK, text)
    text = LINK_TOKEN.sub(lambda match: match.group(1) + MASK, text)
    text = SIGNED.sub(MASK, text)
    return CODE.sub(MASK, text)


class MaskPersonalData(logging.Filter):
    """On every handler: the record's message (with its arguments), its exception text and its
    stack are masked before any formatter sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


# The loggers that write the request's path (with a link's token in it).
PATH_LOGGERS = ("django.request", "django.server", "django.security.csrf")


def install() -> None:
    """On each path logger itself (``DsrConfig.ready``), once."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskPersonalData) for f in logger.filters):
            logger.addFilter(MaskPersonalData())
