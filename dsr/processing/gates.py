"""Limits that hold across workers, kept in the shared cache (Redis in production).

- concurrency: at most N jobs of one system at once: a slot holds the job's id for as long as
  its lease (the heartbeat renews both), so a dead worker's slot frees when its lease runs out,
  and the same job claimed again takes its own slot back instead of waiting for it;
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


def ttl() -> int:
    """Seconds a held key lives: the job's lease, which the heartbeat renews with it."""
    return int(settings.DSR_JOB_LEASE_SECONDS)


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
        if not cache.add(key, token, ttl()) and cache.get(key) != token:
            return None
        held.append(key)
    slots = [f"dsr-slot:{config.alias}:{index}" for index in range(max(1, config.concurrency))]
    # A slot this job still holds from a run whose worker died is its own: take it back.
    mine = next((key for key, value in cache.get_many(slots).items() if value == token), None)
    if mine is not None:
        cache.touch(mine, ttl())
        held.append(mine)
    else:
        free = next((key for key in slots if cache.add(key, token, ttl())), None)
        if free is None:
            leave(held, job)
            return None
        held.append(free)
    if config.min_interval > 0 and not cache.add(
        f"dsr-pace:{config.alias}", token, config.min_interval
    ):
        leave(held, job)
        return None
    return held


def keep(held: list[str]) -> None:
    for key in held:
        cache.touch(key, ttl())


def leave(held: list[str], job: ConnectorJob | None = None) -> None:
    """Give the keys back, but never one that meanwhile belongs to another job."""
    token = f"job-{job.pk}" if job is not None else None
    for key in held:
        if token is None or cache.get(key) == token:
            cache.delete(key)


def wait_seconds(config: SystemConfig) -> float:
    return max(1.0, config.min_interval)
