"""The signed JSON protocol for in-house systems and OpenDSR processors: OpenDSR 2.0 by default,
OpenGDPR 1.0 names per system, extended with locate, rectify, restrict, lift_restriction and
object for services that opt in.

The two versions differ in their paths and header names, never in one message: 2.0 serves
``/v1/requests`` and ``/v1/discovery`` and signs with ``X-OpenDSR-*`` headers; 1.0 serves
``/opengdpr_requests`` and ``/discovery`` with ``X-OpenGDPR-*`` headers.

Both directions are signed: the signature header is the hex HMAC-SHA256 of
``"{timestamp}.{raw body}"`` with the shared secret, the timestamp header the Unix time of
sending (the portal's extension: the specification signs with an X.509 certificate). A message
more than ``DSR_WEBHOOK_TOLERANCE_SECONDS`` old, or one seen before, is refused. Outbound
addresses must resolve to public IPs unless their host is on the allow-list
(``DSR_WEBHOOK_ALLOWED_HOSTS``): a misconfigured URL cannot reach internal services
(``connectors.egress``).
"""

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Protocol:
    version: str
    requests: str  # path of the requests collection, below the service's base URL
    discovery: str
    signature: str
    timestamp: str
    domain: str  # the processor's domain, on its responses and callbacks


OPENDSR = Protocol(
    version="2.0",
    requests="/v1/requests",
    discovery="/v1/discovery",
    signature="X-OpenDSR-Signature",
    timestamp="X-OpenDSR-Timestamp",
    domain="X-OpenDSR-Processor-Domain",
)
OPENGDPR = Protocol(
    version="1.0",
    requests="/opengdpr_requests",
    discovery="/discovery",
    signature="X-OpenGDPR-Signature",
    timestamp="X-OpenGDPR-Timestamp",
    domain="X-OpenGDPR-Processor-Domain",
)
PROTOCOLS = {p.version: p for p in (OPENDSR, OPENGDPR)}

# The 2.0 names; kept as module constants for the callers that sign without a system.
SIGNATURE = OPENDSR.signature
TIMESTAMP = OPENDSR.timestamp
DOMAIN = OPENDSR.domain

# Where the host project serves signed status callbacks (dsr/urls.py routes this path; a test
# keeps the two in step). A path, not a URL name: this package knows nothing of the host.
CALLBACK_PATH = "/systems/webhook/{alias}/{request_id}/"


def protocol(version: str) -> Protocol:
    """The protocol of a configured version ("2.0", "1.0"; "2" and "1" too)."""
    key = {"2": "2.0", "1": "1.0"}.get(str(version).strip(), str(version).strip())
    try:
        return PROTOCOLS[key]
    except KeyError:
        raise ValueError(f"unknown protocol version {version!r}") from None


def callback_url(alias: str, request_id: str) -> str:
    return f"{settings.DSR_BASE_URL}{CALLBACK_PATH.format(alias=alias, request_id=request_id)}"


class SignatureError(Exception):
    """A message whose signature, age or uniqueness does not hold."""


def sign(
    secret: str, body: bytes, timestamp: int | None = None, *, version: Protocol = OPENDSR
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {version.signature: digest.hexdigest(), version.timestamp: stamp}


def signed_headers(headers: Mapping[str, str]) -> tuple[str, str, Protocol]:
    """The signature and timestamp of a message, under 2.0 names or else 1.0 names."""
    for version in (OPENDSR, OPENGDPR):
        if headers.get(version.signature):
            return headers.get(version.signature, ""), headers.get(version.timestamp, ""), version
    return "", "", OPENDSR


def verify(secret: str, body: bytes, signature: str, timestamp: str, *, once: bool = True) -> None:
    """Raise SignatureError unless the raw body is signed, fresh and (``once``) new. Call it
    before parsing anything of the body."""
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
    if once and not cache.add(seen, 1, timeout=2 * settings.DSR_WEBHOOK_TOLERANCE_SECONDS):
        raise SignatureError("replayed message")
