"""Appending to the audit log and checking it.

Events are logged right after their transaction commits, in a short transaction of their own
that holds the chain's head only for the append (never while a request is locked). Should the
process die in between, ``catch_up`` (beat, every few minutes) logs what was missed: every
event ends up in the chain exactly once.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from dsr.models import AuditEntry, AuditHead, AuditKind, RequestEvent

GENESIS = "0" * 64


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(fields)).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "kind": entry.kind,
        "request": entry.request_id,
        "actor": entry.actor_id,
        "source": entry.source,
        "data": entry.data,
    }


def event_digest(event: RequestEvent) -> str:
    return hashlib.sha256(
        _canonical(
            {
                "request": event.request_id,
                "kind": event.kind,
                "at": event.at.astimezone(UTC).isoformat(),
                "actor": event.actor_id,
                "reason": event.reason,
                "data": event.data,
            }
        )
    ).hexdigest()


def append(
    kind: str,
    *,
    request_id: int | None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
    source: str | None = None,
) -> AuditEntry | None:
    """Add one entry at the end of the chain; None if ``source`` is logged already.

    On PostgreSQL the head row's lock orders appenders; SQLite (embedded mode) may let two
    processes read the same head, and the loser's unique ``seq`` fails: it tries again.
    """
    for attempt in range(5):
        try:
            return _append(kind, request_id, actor_id, data or {}, source)
        except IntegrityError:
            if source and AuditEntry.objects.filter(source=source).exists():
                return None  # logged by someone else at the same moment
            if attempt == 4:
                raise
    return None  # pragma: no cover  # the loop returns or raises


def _append(
    kind: str,
    request_id: int | None,
    actor_id: int | None,
    data: dict[str, Any],
    source: str | None,
) -> AuditEntry | None:
    with transaction.atomic():
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        if source and AuditEntry.objects.filter(source=source).exists():
            return None
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=kind,
            request_id=request_id,
            actor_id=actor_id,
            source=source,
            data=data,
            prev_hash=head.hash,
        )
        entry.hash = entry_hash(head.hash, _fields(entry))
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
        return entry


def log_event(event_id: int) -> None:
    event = RequestEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    append(
        AuditKind.EVENT,
        request_id=event.request_id,
        actor_id=event.actor_id,
        data={"event": event.pk, "kind": event.kind, "digest": event_digest(event)},
        source=f"event:{event.pk}",
    )


def event_recorded(event: RequestEvent) -> None:
    """Called when an event is created: logged once its transaction has committed."""
    # robust: a failure here is logged, never undoes or breaks the committed work; catch_up
    # logs the event later.
    transaction.on_commit(lambda: log_event(event.pk), robust=True)


CATCH_UP_WINDOW = 10_000


def catch_up(window: int = CATCH_UP_WINDOW) -> int:
    """Log events a dead process never got to log; returns how many.

    A lost hook can only concern the events written just before the process died, and this
    runs every few minutes: it looks at the newest ``window`` events, not the whole table.
    """
    recent = list(RequestEvent.objects.order_by("-pk").values_list("pk", flat=True)[:window])
    logged = set(
        AuditEntry.objects.filter(source__in=[f"event:{pk}" for pk in recent]).values_list(
            "source", flat=True
        )
    )
    count = 0
    for event_id in sorted(recent):
        if f"event:{event_id}" not in logged:
            log_event(event_id)
            count += 1
    return count


def staff_viewed(request_id: int, actor_id: int, what: str) -> None:
    append(AuditKind.STAFF_VIEW, request_id=request_id, actor_id=actor_id, data={"page": what})


@dataclass
class Problem:
    seq: int
    what: str


def _purged_events() -> dict[int, tuple[int, int | None]]:
    """Event id -> (seq, request) of the entry that says the retention purge deleted it."""
    purged: dict[int, tuple[int, int | None]] = {}
    entries = AuditEntry.objects.filter(kind=AuditKind.PURGED)
    for seq, request_id, data in entries.values_list("seq", "request_id", "data"):
        for event_id in data.get("events", []):
            purged[event_id] = (seq, request_id)
    return purged


def verify() -> Iterator[Problem]:
    """Every break in the chain: edited, deleted or inserted entries, edited events.

    An event may be missing only when a later, intact entry says the retention purge deleted
    it (the purge entry is itself part of the chain, so it cannot be slipped in unnoticed)."""
    head = AuditHead.objects.filter(pk=1).first()
    purged = _purged_events()
    prev_hash, expected = GENESIS, 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected:
            yield Problem(expected, f"entries {expected}..{entry.seq - 1} are missing")
        if entry.prev_hash != prev_hash:
            yield Problem(entry.seq, "does not follow the entry before it")
        if entry_hash(entry.prev_hash, _fields(entry)) != entry.hash:
            yield Problem(entry.seq, "was changed after it was written")
        if entry.kind == AuditKind.EVENT:
            event = RequestEvent.objects.filter(pk=entry.data.get("event")).first()
            if event is None:
                purge_seq, purged_request = purged.get(entry.data.get("event"), (0, None))
                if purge_seq <= entry.seq or purged_request != entry.request_id:
                    yield Problem(entry.seq, "its request event was deleted")
            elif event_digest(event) != entry.data.get("digest"):
                yield Problem(entry.seq, "its request event was changed")
        prev_hash, expected = entry.hash, entry.seq + 1
    if head is not None and (head.seq != expected - 1 or head.hash != prev_hash):
        yield Problem(head.seq, "the last entries were deleted")


def export(request_id: int, *, actor_id: int | None = None) -> list[dict[str, Any]]:
    """A request's entries with their hashes, as evidence; the export itself is logged."""
    entries = [
        _fields(entry) | {"prev_hash": entry.prev_hash, "hash": entry.hash}
        for entry in AuditEntry.objects.filter(request_id=request_id).order_by("seq")
    ]
    append(AuditKind.EXPORT, request_id=request_id, actor_id=actor_id)
    return entries
