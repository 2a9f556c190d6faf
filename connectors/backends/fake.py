"""A configurable stand-in for a source system, for tests and the demo.

OPTIONS: ``records`` (per category, default 3), ``categories``, ``page_size``, ``found``
(default true), ``fail`` ("permanent" to refuse every call), ``transient_failures`` (fail this
many times per action before succeeding), ``retry_after`` (seconds, with those failures),
``slow`` (seconds per call), ``capabilities`` (a subset), ``known`` (the only addresses it
holds; default: anybody), ``retains`` (records it keeps on erasure: a list of ``what``,
``legal_basis``, ``statute``, ``erase_after`` (ISO date), ``records``), ``previews`` (default
true: it can say before erasing what it would erase and keep), ``keeps_statement`` (default
true: it stores a rectification's supplementary statement), and ``state_dir``: a folder where
attempts are counted and every completed side effect is logged, shared between processes.
"""

import fcntl
import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from connectors.base import (
    Capability,
    ChangeResult,
    Connector,
    ConnectorRefused,
    ConnectorUnavailable,
    ErasureResult,
    ExportPage,
    LocateResult,
    ObjectionKind,
    Retained,
    SubjectIdentity,
)


class FakeConnector(Connector):
    def __init__(self, alias: str, options: dict[str, Any]) -> None:
        super().__init__(alias, options)
        names = options.get("capabilities") or [c.value for c in Capability]
        self.capabilities = frozenset(Capability(name) for name in names)
        self.state_dir = Path(options["state_dir"]) if options.get("state_dir") else None
        self._erased: set[str] = set()

    # --- behaviour shared by every call -----------------------------------------------------

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        if self.state_dir is None:
            yield {}
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / f"{self.alias}.json"
        with open(path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            state = json.loads(handle.read() or "{}")
            yield state
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))

    def _call(self, action: str) -> None:
        if self.options.get("fail") == "permanent":
            raise ConnectorRefused("configured to refuse")
        failures = int(self.options.get("transient_failures", 0))
        with self._state() as state:
            attempts = state.get(f"attempts:{action}", 0) + 1
            state[f"attempts:{action}"] = attempts
        if attempts <= failures:
            raise ConnectorUnavailable(
                f"transient failure {attempts} of {failures}",
                retry_after=self.options.get("retry_after"),
            )
        slow = float(self.options.get("slow", 0))
        if slow:
            time.sleep(slow)

    def _effect(self, action: str, subject: SubjectIdentity, **details: Any) -> None:
        """Log a side effect that happened, to count duplicates across processes."""
        if self.state_dir is None:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"system": self.alias, "action": action, "email": subject.email, **details}
        )
        with open(self.state_dir / "effects.log", "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line + "\n")

    def _found(self, subject: SubjectIdentity) -> bool:
        with self._state() as state:
            if subject.email.lower() in state.get("erased", []) or (
                subject.email.lower() in self._erased
            ):
                return False
        known = [address.lower() for address in self.options.get("known", [])]
        if known:
            return subject.email.lower() in known
        return bool(self.options.get("found", True)) and bool(subject.email or subject.found)

    # --- the capabilities -----------------------------------------------------------------------

    def check(self) -> str:
        self._call("check")
        return "fake system"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        self._call("locate")
        if not self._found(subject):
            return LocateResult(found=False)
        per_category = int(self.options.get("records", 3))
        categories = self.options.get("categories", ["profile"])
        discovered = self.options.get("discovers", {})
        return LocateResult(
            found=True,
            records=per_category * len(categories),
            identifiers={k: (v,) for k, v in discovered.items()},
        )

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        self._call("export")
        if not self._found(subject):
            return
        per_category = int(self.options.get("records", 3))
        page_size = int(self.options.get("page_size", 500))
        for category in self.options.get("categories", ["profile"]):
            batch: list[dict[str, Any]] = []
            for index in range(per_category):
                batch.append(
                    {
                        "id": index + 1,
                        "email": subject.email,
                        "category": category,
                        "note": f"{category} record {index + 1}",
                    }
                )
                if len(batch) == page_size:
                    yield ExportPage(category, tuple(batch))
                    batch = []
            if batch:
                yield ExportPage(category, tuple(batch))

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        self._call("erase")
        if not self._found(subject):
            return ErasureResult()
        self._effect("erase", subject)
        self._erased.add(subject.email.lower())
        with self._state() as state:
            state["erased"] = sorted({*state.get("erased", []), subject.email.lower()})
        return self._erasure()

    def preview_erasure(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult | None:
        if not self.options.get("previews", True):
            return None
        # Asked right after locate, in the same job: its failures are the locate's.
        if not self._found(subject):
            return ErasureResult()
        return self._erasure()

    def _erasure(self) -> ErasureResult:
        """What erasing does here: the same answer before (preview) and when it happens."""
        kept = tuple(
            Retained(
                what=str(item["what"]),
                legal_basis=str(item.get("legal_basis", "")),
                statute=str(item.get("statute", "")),
                erase_after=date.fromisoformat(item["erase_after"])
                if item.get("erase_after")
                else None,
                records=int(item.get("records", 1)),
            )
            for item in self.options.get("retains", [])
        )
        held = int(self.options.get("records", 3))
        return ErasureResult(erased=max(0, held - sum(k.records for k in kept)), retained=kept)

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        self._call("rectify")
        if not self._found(subject):
            return ChangeResult()
        keeps = bool(statement) and bool(self.options.get("keeps_statement", True))
        self._effect("rectify", subject, changes=changes, statement_kept=keeps)
        return ChangeResult(changed=1 if changes else 0, statement_kept=keeps)

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        self._call("restrict")
        return self._set("restricted", subject, True, "restrict")

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        self._call("lift_restriction")
        return self._set("restricted", subject, False, "lift_restriction")

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        self._call("object")
        return self._set(f"objected:{kind.value}", subject, True, "object", kind=kind.value)

    def _set(
        self, flag: str, subject: SubjectIdentity, on: bool, action: str, **details: Any
    ) -> ChangeResult:
        """A flag on the person's records, as a real system keeps it: setting it again (a
        retry after a crash, a second request) changes nothing and logs no effect."""
        email = subject.email.lower()
        with self._state() as state:
            flagged = set(state.get(flag, []))
            if (email in flagged) == on:
                return ChangeResult(already=1)
            state[flag] = sorted(flagged | {email} if on else flagged - {email})
        self._effect(action, subject, **details)
        return ChangeResult(changed=1)


def effects(state_dir: str | Path) -> list[dict[str, Any]]:
    """The side effects the fake systems logged in ``state_dir``."""
    path = Path(state_dir) / "effects.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
