"""Fixed-window rate limits in the shared cache, keyed by hashes (no e-mail addresses in Redis)."""

import hashlib
import ipaddress

from django.core.cache import cache


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
    if cache.add(key, 1, timeout=window):
        return limit >= 1
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        hits = 1
    return hits <= limit


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
