"""Fixed-window rate limits in the shared cache, keyed by hashes (no e-mail addresses in Redis).

When the cache cannot be reached the count moves to the database for that hit: filing a
request (the statutory channel) never fails because Redis is down, and the limits still hold.
"""

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from dsr.models import RateCount

logger = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/3600"`` -> (10 hits, 3600 seconds)."""
    count, seconds = rate.split("/")
    return int(count), int(seconds)


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}:{value.strip().lower()}".encode()).hexdigest()[:32]
    return f"dsr-rl:{scope}:{digest}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # When the window ends and the allowance is whole again: what to tell a refused person.
    frees_at: datetime


def allow(scope: str, value: str, rate: str) -> bool:
    """Count one hit; False once the window's allowance is used up."""
    return hit(scope, value, rate).allowed


def hit(scope: str, value: str, rate: str) -> Verdict:
    """Count one hit, and say whether it is allowed and when the window frees."""
    limit, window = parse_rate(rate)
    key = _key(scope, value)
    try:
        return _in_cache(key, limit, window)
    except Exception as exc:  # the cache's own errors (redis ConnectionError, timeouts) vary
        logger.warning(
            "rate limit %s counted in the database: cache unavailable (%s)",
            scope,
            type(exc).__name__,
        )
        return _in_database(key, limit, window)


def count(scope: str, value: str) -> int:
    """The hits counted so far in the current window (counts none itself)."""
    key = _key(scope, value)
    try:
        return int(cache.get(key) or 0)
    except Exception:  # as in hit(): the cache is down, the database has the count
        row = RateCount.objects.filter(key=key, window_ends__gt=timezone.now()).first()
        return row.hits if row else 0


def _in_cache(key: str, limit: int, window: int) -> Verdict:
    now = timezone.now()
    if cache.add(key, 1, timeout=window):
        # The window's end, beside the count (the cache cannot say when a key expires).
        cache.set(f"{key}:ends", now.timestamp() + window, timeout=window)
        return Verdict(limit >= 1, now + timedelta(seconds=window))
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        cache.set(f"{key}:ends", now.timestamp() + window, timeout=window)
        hits = 1
    ends = cache.get(f"{key}:ends")
    frees_at = (
        datetime.fromtimestamp(float(ends), tz=UTC) if ends else now + timedelta(seconds=window)
    )
    return Verdict(hits <= limit, frees_at)


@transaction.atomic
def _in_database(key: str, limit: int, window: int) -> Verdict:
    now = timezone.now()
    RateCount.objects.filter(window_ends__lte=now).delete()  # ended windows go
    row, created = RateCount.objects.select_for_update().get_or_create(
        key=key, defaults={"window_ends": now + timedelta(seconds=window), "hits": 1}
    )
    if not created:
        row.hits += 1
        row.save(update_fields=["hits"])
    return Verdict(row.hits <= limit, row.window_ends)


def client_ip(meta: dict[str, str]) -> str:
    """The client's address; IPv6 by its /64 network, which one subscriber usually holds whole."""
    return _network(forwarded_client(meta))


def forwarded_client(meta: dict[str, str]) -> str:
    """The address the outermost of ``DSR_TRUSTED_PROXIES`` proxies saw the client come from.

    Each proxy appends the address it was reached from to X-Forwarded-For, so the last N
    entries were written by our N proxies and the N-th from the right is the client; whatever
    stands left of it came from the client and is ignored (it is free to write anything there).
    With no trusted proxy, or no header, REMOTE_ADDR is the client.
    """
    hops = int(getattr(settings, "DSR_TRUSTED_PROXIES", 0))
    remote = meta.get("REMOTE_ADDR", "") or "unknown"
    if hops <= 0:
        return remote
    entries = [e.strip() for e in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if not entries:
        logger.warning("DSR_TRUSTED_PROXIES is %d but the request has no X-Forwarded-For", hops)
        return remote
    if len(entries) < hops:
        # Fewer entries than proxies: a proxy overwrites the header instead of appending. The
        # left-most is still one a trusted proxy wrote.
        logger.warning("X-Forwarded-For has fewer entries than DSR_TRUSTED_PROXIES")
        return _strip_port(entries[0])
    return _strip_port(entries[-hops])


def _strip_port(entry: str) -> str:
    if entry.startswith("["):  # "[2001:db8::1]:443"
        return entry[1:].split("]", 1)[0]
    if entry.count(":") == 1:  # "203.0.113.7:51234"
        return entry.split(":", 1)[0]
    return entry


def _network(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
