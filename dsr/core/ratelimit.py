"""Fixed-window rate limits in the shared cache, keyed by hashes (no e-mail addresses in Redis).

When the cache cannot be reached the count moves to the database for that hit: filing a
request (the statutory channel) never fails because Redis is down, and the limits still hold.
"""

import hashlib
import ipaddress
import logging
from datetime import timedelta

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


def allow(scope: str, value: str, rate: str) -> bool:
    """Count one hit; False once the window's allowance is used up."""
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


def _in_cache(key: str, limit: int, window: int) -> bool:
    if cache.add(key, 1, timeout=window):
        return limit >= 1
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        hits = 1
    return hits <= limit


@transaction.atomic
def _in_database(key: str, limit: int, window: int) -> bool:
    now = timezone.now()
    RateCount.objects.filter(window_ends__lte=now).delete()  # ended windows go
    row, created = RateCount.objects.select_for_update().get_or_create(
        key=key, defaults={"window_ends": now + timedelta(seconds=window), "hits": 1}
    )
    if not created:
        row.hits += 1
        row.save(update_fields=["hits"])
    return row.hits <= limit


def client_ip(meta: dict[str, str]) -> str:
    """The client's address; IPv6 by its /64 network, which one subscriber usually holds whole."""
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    address = meta.get("REMOTE_ADDR", "") or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
