"""The signed JSON protocol for in-house systems (OpenDSR shape, extended with locate,
rectify, restrict, lift_restriction and object).

Both directions are signed: ``X-OpenDSR-Signature`` is the hex HMAC-SHA256 of
``"{timestamp}.{raw body}"`` with the system's secret, ``X-OpenDSR-Timestamp`` the Unix time
of sending. A message more than ``DSR_WEBHOOK_TOLERANCE_SECONDS`` old, or one seen before, is
refused. Outbound addresses must resolve to public IPs unless their host is on the allow-list
(``DSR_WEBHOOK_ALLOWED_HOSTS``): a misconfigured URL cannot reach internal services
(``connectors.egress``).
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache

SIGNATURE = "X-OpenDSR-Signature"
TIMESTAMP = "X-OpenDSR-Timestamp"
# Where the host project serves signed status callbacks (dsr/urls.py routes this path; a test
# keeps the two in step). A path, not a URL name: this package knows nothing of the host.
CALLBACK_PATH = "/systems/webhook/{alias}/{request_id}/"


def callback_url(alias: str, request_id: str) -> str:
    return f"{settings.DSR_BASE_URL}{CALLBACK_PATH.format(alias=alias, request_id=request_id)}"


class SignatureError(Exception):
    """A message whose signature, age or uniqueness does not hold."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {SIGNATURE: digest.hexdigest(), TIMESTAMP: stamp}


def verify(secret: str, body: bytes, signature: str, timestamp: str) -> None:
    """Raise SignatureError unless the raw body is signed, fresh and new."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError) as exc:
        raise SignatureError("missing or malformed timestamp") from exc
    if abs(time.time() - sent) > settings.DSR_WEBHOOK_TOLERANCE_SECONDS:
        raise SignatureError("timestamp outside the tolerance")
    expected = sign(secret, body, sent)[SIGNATURE]
    if not hmac.compare_digest(expected, signature or ""):
        raise SignatureError("bad signature")
    # The same signed message twice is a replay: remember each one for the tolerance window.
    seen = f"dsr-webhook-seen:{expected}"
    if not cache.add(seen, 1, timeout=2 * settings.DSR_WEBHOOK_TOLERANCE_SECONDS):
        raise SignatureError("replayed message")
