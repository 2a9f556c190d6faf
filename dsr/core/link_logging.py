"""Status-page links never reach the log: Django's request loggers see the path masked.

``django.request`` logs the path of every 4xx and 5xx answer ("Not Found: /r/<token>/"),
``django.security.csrf`` every refused post, and ``django.server`` (runserver) every request
line. A status link's token is a credential for as long as the link works, so the token in
those paths is replaced before a handler sees the record. Only the status routes (``/r/…``)
and only those loggers: masking personal data in general is the project-wide log filter's job.
(``record.request`` keeps the request itself, for handlers that are given one.)
"""

import logging
import re

# /r/<token>/…, and the one-time links /r/verify/<token>/, /r/confirm/<token>/, /r/open/<token>/.
_TOKEN_IN_PATH = re.compile(r"(/r/(?:(?:verify|confirm|open)/)?)[^/\s?#\"']+")
MASK = "[…]"  # as dsr.logmask writes it, whichever filter sees the record first
# django.security.csrf logs "Forbidden (CSRF cookie not set.): <path>" the same way.
LOGGERS = ("django.request", "django.server", "django.security.csrf")


def mask_status_links(text: str) -> str:
    return _TOKEN_IN_PATH.sub(lambda m: f"{m.group(1)}{MASK}", text)


class StatusLinkFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: the handler reports it as usual
            return True
        masked = mask_status_links(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install() -> None:
    """On each logger itself, so it holds whatever LOGGING a deployment configures."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, StatusLinkFilter) for f in logger.filters):
            logger.addFilter(StatusLinkFilter())
