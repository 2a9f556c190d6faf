"""Appending to the audit log and checking it.

Events are logged right after their transaction commits, in a short transaction of their own
that holds the chain's head only for the append (never while a request is locked), or, when
another process holds the head, by a worker, so no request waits for the chain. Should the
process die in between, ``catch_up`` (beat, every few minutes) logs what was missed: every
event ends up in the chain exactly once.

The chain is keyed: each entry's hash is an HMAC-SHA256 with a key kept outside the database
(``DSR_AUDIT_KEY``, by default derived from the encryption key), so whoever can write the
database cannot recompute it. Chains begun before that were plain SHA-256: migration 0025
writes one keyed switch entry at their end, and ``verify`` accepts unkeyed entries only before
that switch (or before ``DSR_AUDIT_KEYED_FROM``, which pins it outside the database).
"""

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dsr.core import taskqueue
from dsr.core.crypto import derived_keys
from dsr.models import AuditEntry, AuditHead, AuditKind, RequestEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64


def _canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def audit_keys() -> list[bytes]:
    """The chain's keys: the first signs, all verify (rotation)."""
    explicit = [k.strip().encode() for k in settings.DSR_AUDIT_KEYS if k.strip()]
    return explicit or derived_keys(b"dsr-portal-audit-chain")


def keyed_hash(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    return hmac.new(key, prev_hash.encode() + _canonical(fields), hashlib.sha256).hexdigest()


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash an entry is written with now (keyed with the first key)."""
    return keyed_hash(audit_keys()[0], prev_hash, fields)


def unkeyed_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """How entries were hashed before the chain was keyed (accepted only before the switch)."""
    return hashlib.sha256(prev_hash.encode() + _canonical(fields)).hexdigest()


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
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


@dataclass(frozen=True)
class _Spec:
    kind: str
    request_id: int | None
    actor_id: int | None
    data: dict[str, Any]
    source: str | None


def append(
    kind: str,
    *,
    request_id: int | None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
    source: str | None = None,
) -> AuditEntry | None:
    """Add one entry at the end of the chain; None if ``source`` is logged already."""
    written = _write([_Spec(kind, request_id, actor_id, data or {}, source)], wait=True)
    return written[0] if written else None


def _write(specs: list[_Spec], *, wait: bool) -> list[AuditEntry] | None:
    """Chain the entries in one short transaction; those whose ``source`` is logged already
    are left out. None when ``wait`` is false and another process holds the head.

    On PostgreSQL the head row's lock orders appenders; SQLite (embedded mode) may let two
    processes read the same head, and the loser's unique ``seq`` fails: it tries again.
    """
    for attempt in range(5):
        try:
            with transaction.atomic():
                head = _locked_head(wait=wait)
                if head is None:
                    return None
                sources = [spec.source for spec in specs if spec.source]
                logged = set(
                    AuditEntry.objects.filter(source__in=sources).values_list("source", flat=True)
                )
                entries = []
                key = audit_keys()[0]
                for spec in specs:
                    if spec.source in logged:
                        continue
                    entry = AuditEntry(
                        seq=head.seq + 1,
                        at=timezone.now(),
                        kind=spec.kind,
                        request_id=spec.request_id,
                        actor_id=spec.actor_id,
                        source=spec.source,
                        data=spec.data,
                        prev_hash=head.hash,
                    )
                    entry.hash = keyed_hash(key, head.hash, entry_fields(entry))
                    head.seq, head.hash = entry.seq, entry.hash
                    entries.append(entry)
                if entries:
                    AuditEntry.objects.bulk_create(entries)
                    head.save(update_fields=["seq", "hash"])
                return entries
        except IntegrityError:
            if attempt == 4:
                raise
    return None  # pragma: no cover  # the loop returns or raises


def _locked_head(*, wait: bool) -> AuditHead | None:
    """The head row, locked until the transaction ends; None if it is locked by someone else
    and ``wait`` is false (where the database can tell: PostgreSQL's SKIP LOCKED)."""
    skip = not wait and connection.features.has_select_for_update_skip_locked
    head = AuditHead.objects.select_for_update(skip_locked=skip).filter(pk=1).first()
    if head is None:
        if skip and AuditHead.objects.filter(pk=1).exists():
            return None  # another process is appending
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def log_events(event_ids: list[int], *, wait: bool = True) -> bool:
    """Chain these request events (each once, whoever gets there first); False if ``wait``
    is false and another process was appending, so nothing was written."""
    specs = [
        _Spec(
            AuditKind.EVENT,
            event.request_id,
            event.actor_id,
            {"event": event.pk, "kind": event.kind, "digest": event_digest(event)},
            f"event:{event.pk}",
        )
        for event in RequestEvent.objects.filter(pk__in=event_ids).order_by("pk")
    ]
    if not specs:
        return True
    return _write(specs, wait=wait) is not None


def log_event(event_id: int) -> None:
    log_events([event_id])


_pending = threading.local()


def event_recorded(event: RequestEvent) -> None:
    """Called when an event is created: logged once its transaction has committed.

    The events of one transaction are chained together by the first of their commit hooks. The
    request that recorded them never waits for the chain: when another process is appending,
    the events are handed to a worker (``dsr.tasks.audit_log_events``), and should that fail
    too, ``catch_up`` logs them within minutes.
    """
    waiting = getattr(_pending, "ids", None)
    if waiting is None:
        waiting = _pending.ids = []
    waiting.append(event.pk)
    # robust: a failure here is logged, never undoes or breaks the committed work.
    transaction.on_commit(_log_pending, robust=True)


def _log_pending() -> None:
    ids, _pending.ids = getattr(_pending, "ids", None) or [], []
    if not ids or log_events(ids, wait=False):
        return
    try:
        taskqueue.send("dsr.tasks.audit_log_events", ids)
    except Exception as exc:
        if not taskqueue.unreachable(exc):
            raise
        logger.warning(
            "events %s not chained yet: the audit head is busy and the broker unreachable (%s);"
            " the catch-up chains them",
            ids,
            type(exc).__name__,
        )


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
    missing = sorted(pk for pk in recent if f"event:{pk}" not in logged)
    for start in range(0, len(missing), 500):
        log_events(missing[start : start + 500])
    return len(missing)


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


KEYED_SOURCE = "keyed"


def key_the_chain(entries: Any = AuditEntry, heads: Any = AuditHead) -> bool:
    """Write the switch entry at the end of a chain begun unkeyed; False if there is nothing to
    switch (an empty chain is keyed from its first entry) or it was switched already.

    Called once by migration 0025 (``entries``/``heads``: its historical models)."""
    with transaction.atomic():
        head = heads.objects.select_for_update().filter(pk=1).first()
        if head is None or head.seq == 0 or entries.objects.filter(source=KEYED_SOURCE).exists():
            return False
        entry = entries(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=AuditKind.KEYED,
            request_id=None,
            actor_id=None,
            source=KEYED_SOURCE,
            data={"unkeyed_until": head.seq},
            prev_hash=head.hash,
        )
        entry.hash = keyed_hash(audit_keys()[0], head.hash, entry_fields(entry))
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
        return True


@dataclass
class Verified:
    """What ``verify`` found besides the problems: where the keyed part of the chain begins."""

    keyed_from: int | None = None


def verify(found: Verified | None = None) -> Iterator[Problem]:
    """Every break in the chain: edited, deleted or inserted entries, edited events, and
    entries recomputed without the key (unkeyed after the switch, or keyed with another key).

    An event may be missing only when a later, intact entry says the retention purge deleted
    it (the purge entry is itself part of the chain, so it cannot be slipped in unnoticed)."""
    found = found if found is not None else Verified()
    keys = audit_keys()
    head = AuditHead.objects.filter(pk=1).first()
    purged = _purged_events()
    prev_hash, expected = GENESIS, 1
    switch: int | None = None
    unkeyed: list[int] = []
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected:
            yield Problem(expected, f"entries {expected}..{entry.seq - 1} are missing")
        if entry.prev_hash != prev_hash:
            yield Problem(entry.seq, "does not follow the entry before it")
        fields = entry_fields(entry)
        if any(
            hmac.compare_digest(keyed_hash(key, entry.prev_hash, fields), entry.hash)
            for key in keys
        ):
            if found.keyed_from is None:
                found.keyed_from = entry.seq
            if entry.kind == AuditKind.KEYED and switch is None:
                switch = entry.seq
        elif hmac.compare_digest(unkeyed_hash(entry.prev_hash, fields), entry.hash):
            unkeyed.append(entry.seq)  # fine only before the switch: decided below
        else:
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
    # Unkeyed entries are the chain from before the key, and only before the switch (the
    # earlier of the switch entry and the pinned DSR_AUDIT_KEYED_FROM): anything else was
    # recomputed by someone without the key.
    limits = [n for n in (switch, settings.DSR_AUDIT_KEYED_FROM) if n]
    limit = min(limits) if limits else 1
    for seq in unkeyed:
        if seq >= limit:
            yield Problem(seq, "is not keyed: the chain was recomputed without the audit key")
    if switch is not None:
        found.keyed_from = switch


def export(request_id: int, *, actor_id: int | None = None) -> list[dict[str, Any]]:
    """A request's entries with their hashes, as evidence; the export itself is logged."""
    entries = [
        entry_fields(entry) | {"prev_hash": entry.prev_hash, "hash": entry.hash}
        for entry in AuditEntry.objects.filter(request_id=request_id).order_by("seq")
    ]
    append(AuditKind.EXPORT, request_id=request_id, actor_id=actor_id)
    return entries
