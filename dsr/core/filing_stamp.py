"""The stamp on the public filing form: a bot check that needs no third party and no script.

The form carries a signed stamp saying when it was rendered, with a one-off number. A filing
is accepted only if the form was open at least ``DSR_INTAKE_MIN_SECONDS`` (people read and
type; scripts post at once), not longer than ``DSR_INTAKE_FORM_HOURS``, and its stamp has not
filed a request yet (one rendered form files once). A person without JavaScript passes like
anyone else; whatever fails gets the form back, with what was typed, to send again.
"""

import secrets
import time
from enum import StrEnum

from django.conf import settings
from django.core import signing

from dsr.core import ratelimit

SALT = "dsr.filing-stamp"


class Stamp(StrEnum):
    OK = "ok"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"  # also: missing, altered, or from another installation
    USED = "used"


def issue() -> str:
    return signing.dumps({"t": round(time.time(), 1), "n": secrets.token_urlsafe(12)}, salt=SALT)


def _max_age() -> int:
    return int(settings.DSR_INTAKE_FORM_HOURS) * 3600


def _load(stamp: str) -> dict[str, object] | None:
    try:
        values = signing.loads(stamp, salt=SALT, max_age=_max_age())
    except signing.BadSignature:  # SignatureExpired is one
        return None
    return values if isinstance(values, dict) else None


def check(stamp: str) -> Stamp:
    """Whether a submission with this stamp may file (it does not use the stamp up)."""
    if not settings.DSR_INTAKE_FORM_CHECK:
        return Stamp.OK
    values = _load(stamp)
    if values is None:
        return Stamp.EXPIRED
    rendered = float(values.get("t") or 0)  # type: ignore[arg-type]
    if time.time() - rendered < float(settings.DSR_INTAKE_MIN_SECONDS):
        return Stamp.TOO_FAST
    if ratelimit.count("filing-stamp", str(values.get("n"))) >= 1:
        return Stamp.USED
    return Stamp.OK


def use(stamp: str) -> bool:
    """Mark the stamp as having filed a request; False if it had (two posts of one form)."""
    if not settings.DSR_INTAKE_FORM_CHECK:
        return True
    values = _load(stamp)
    if values is None:
        return False
    return ratelimit.allow("filing-stamp", str(values.get("n")), f"1/{_max_age()}")
