"""A system without an API: every action is handed to its owner as a task.

OPTIONS: ``owner_email`` (or OWNER_EMAIL on the system), ``instructions`` (what the owner
should look at, e.g. "the paper archive in Bonn, cabinet 4").
"""

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from connectors.base import (
    Capability,
    ChangeResult,
    Connector,
    ErasureResult,
    ExportPage,
    LocateResult,
    NeedsHuman,
    ObjectionKind,
    SubjectIdentity,
)


class ManualConnector(Connector):
    capabilities = frozenset(
        {
            Capability.EXPORT,
            Capability.ERASE,
            Capability.RECTIFY,
            Capability.RESTRICT,
            Capability.LIFT_RESTRICTION,
            Capability.OBJECT,
        }
    )

    def _hand_off(self) -> NeedsHuman:
        return NeedsHuman(str(self.options.get("instructions", "")))

    def check(self) -> str:
        return f"manual, tasks go to {self.options.get('owner_email') or 'the owner'}"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        raise self._hand_off()

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        raise self._hand_off()

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        raise self._hand_off()

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        raise self._hand_off()

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        raise self._hand_off()

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        raise self._hand_off()

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        raise self._hand_off()
