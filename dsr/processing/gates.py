"""Limits that hold across workers, kept in the shared cache (Redis in production).

- concurrency: at most N jobs of one system at once (slots with a lease);
- pace: at most one job start per ``min_interval`` seconds for one system;
- subject lock: an export and an erasure of the same subject never run at once in one system.

A job that finds no room is put back with a short delay instead of holding a worker, so a slow
system cannot starve the others.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from connectors.base import Capability
from connectors.registry import SystemConfig
from dsr.models import ConnectorJob

TTL = 120  # seconds; the heartbeat keeps held keys alive while the job runs
EXCLUSIVE = {Capability.EXPORT, Capability.ERASE, Capability.RECTIFY}


def _subject_key(job: ConnectorJob) -> str:
    who = (job.request.email or f"request-{job.request_id}").lower()
    # Keyed, so the cache never holds a plain hash of an address (guessable from a list).
    secret = hashlib.sha256(f"dsr-gates:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(secret, who.encode(), hashlib.sha256).hexdigest()[:24]
    return f"dsr-subject:{job.system}:{digest}"


def enter(job: ConnectorJob, config: SystemConfig) -> list[str] | None:
    """The keys held for this job, or None if it has to wait."""
    held: list[str] = []
    token = f"job-{job.pk}"
    if job.action in EXCLUSIVE:
        key = _subject_key(job)
        if not cache.add(key, token, TTL) and cache.get(key) != token:
            return None
        held.append(key)
    for index in range(max(1, config.concurrency)):
        key = f"dsr-slot:{config.alias}:{index}"
        if cache.add(key, token, TTL):
            held.append(key)
            break
    else:
        leave(held)
        return None
    if config.min_interval > 0 and not cache.add(
        f"dsr-pace:{config.alias}", token, config.min_interval
    ):
        leave(held)
        return None
    return held


def keep(held: list[str]) -> None:
    for key in held:
        cache.touch(key, TTL)


def leave(held: list[str], job: ConnectorJob | None = None) -> None:
    """Give the keys back, but never one that meanwhile belongs to another job."""
    token = f"job-{job.pk}" if job is not None else None
    for key in held:
        if token is None or cache.get(key) == token:
            cache.delete(key)


def wait_seconds(config: SystemConfig) -> float:
    return max(1.0, config.min_interval)
