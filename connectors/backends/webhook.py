"""In-house systems speaking the signed OpenDSR-shaped JSON protocol (see connectors.webhook).

OPTIONS: ``url`` (the service's base URL; requests go to ``{url}/opengdpr_requests``),
``secret`` (``env:``; signs both directions), ``timeout``, ``poll_seconds``.

Each action becomes one request whose id is stable across retries, so the service can
recognise a repeated delivery. The service answers at once (``completed`` with the result
inline) or later: the job then asks again, and a signed status callback to the portal wakes it
up early. Exported records come inline, as ``{"records": {category: [record, ...]}}``; for a
portability answer (Art. 20) the service may add ``{"portability": {category: {"legal_basis":
"contract", "inferred": [field, ...]}}}``: the processing's legal basis and the fields it
inferred (without it the register decides the basis, and every field counts as provided).
"""

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import httpx
from django.conf import settings

from connectors.base import (
    Capability,
    ChangeResult,
    Connector,
    ConnectorMisconfigured,
    ConnectorRefused,
    ConnectorUnavailable,
    ErasureResult,
    ExportPage,
    LocateResult,
    ObjectionKind,
    Retained,
    StillWorking,
    SubjectIdentity,
)
from connectors.egress import EgressRefused, check_egress, egress_client
from connectors.webhook import callback_url, sign

NAMESPACE = uuid.UUID("5d2c0c5e-2f0e-4f5b-9b1c-6f1d7a0e9d11")
TYPES = {
    Capability.LOCATE: "locate",
    Capability.EXPORT: "access",
    Capability.ERASE: "erasure",
    Capability.RECTIFY: "rectify",
    Capability.RESTRICT: "restrict",
    Capability.LIFT_RESTRICTION: "lift_restriction",
    Capability.OBJECT: "object",
}


class WebhookConnector(Connector):
    capabilities = frozenset(TYPES)

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.url = str(options.get("url", "")).rstrip("/")
        self.secret = str(options.get("secret", ""))
        if not self.url or not self.secret:
            raise ConnectorMisconfigured(f"{alias}: the webhook connector needs url and secret")
        # Every call passes the egress check and connects to the address it checked.
        self.client = egress_client(timeout=float(options.get("timeout", 30)))
        self.poll = float(options.get("poll_seconds", settings.DSR_WEBHOOK_POLL_SECONDS))

    def close(self) -> None:
        self.client.close()

    # --- protocol ---------------------------------------------------------------------------

    def request_id(self, subject: SubjectIdentity, action: Capability) -> str:
        """Stable across retries of the same work, different for anyone else: the request,
        the system, the action and who is looked for all go into it."""
        who = hashlib.sha256(json.dumps(_identities(subject), sort_keys=True).encode())
        return str(
            uuid.uuid5(NAMESPACE, f"{subject.request_key}:{self.alias}:{action}:{who.hexdigest()}")
        )

    def _send(self, method: str, url: str, payload: Any = None) -> httpx.Response:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json", **sign(self.secret, body)}
        try:
            response = self.client.request(method, url, content=body, headers=headers)
        except EgressRefused as exc:
            raise ConnectorRefused(f"{self.alias}: address not allowed ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise ConnectorUnavailable(f"{self.alias}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ConnectorUnavailable(f"{self.alias}: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise ConnectorUnavailable(f"{self.alias}: {response.status_code}")
        if 300 <= response.status_code < 400:
            raise ConnectorRefused(f"{self.alias}: redirects are not followed")
        if response.status_code >= 400 and response.status_code != 409:
            raise ConnectorRefused(f"{self.alias}: request refused ({response.status_code})")
        return response

    def _run(
        self, subject: SubjectIdentity, action: Capability, extensions: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Submit (idempotently) and return the finished result, or raise StillWorking."""
        request_id = self.request_id(subject, action)
        stored = subject.reports.get(request_id)
        if stored is not None:
            return _finished(self.alias, stored)
        payload = {
            "subject_request_id": request_id,
            "subject_request_type": TYPES[action],
            "submitted_time": datetime.now(UTC).isoformat(),
            "subject_identities": _identities(subject),
            "status_callback_urls": [callback_url(self.alias, request_id)],
            "extensions": extensions or {},
        }
        created = self._send("POST", f"{self.url}/opengdpr_requests", payload)
        body = created.json() if created.content else {}
        if created.status_code == 409 or body.get("request_status") != "completed":
            body = self._send("GET", f"{self.url}/opengdpr_requests/{request_id}").json()
        return _finished(self.alias, body, retry_after=self.poll)

    # --- capabilities ---------------------------------------------------------------------------

    def check(self) -> str:
        check_egress(self.url)
        return f"signed protocol at {self.url}"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        result = self._run(subject, Capability.LOCATE)
        return LocateResult(found=bool(result.get("found")), records=int(result.get("records", 0)))

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        result = self._run(subject, Capability.EXPORT)
        declared = result.get("portability") or {}
        for category, records in (result.get("records") or {}).items():
            portability = declared.get(category) or {}
            inferred = tuple(str(name) for name in portability.get("inferred") or ())
            basis = str(portability.get("legal_basis") or "")
            for start in range(0, len(records), 500):
                yield ExportPage(
                    str(category),
                    tuple(records[start : start + 500]),
                    inferred_fields=inferred,
                    legal_basis=basis,
                )

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        result = self._run(subject, Capability.ERASE, {"consent_only": consent_only})
        retained = tuple(
            Retained(
                what=str(item.get("what", "")),
                legal_basis=str(item.get("legal_basis", "")),
                statute=str(item.get("statute", "")),
                erase_after=date.fromisoformat(item["erase_after"])
                if item.get("erase_after")
                else None,
                records=int(item.get("records", 0)),
            )
            for item in result.get("retained", [])
        )
        return ErasureResult(
            erased=int(result.get("erased", 0)),
            anonymised=int(result.get("anonymised", 0)),
            retained=retained,
        )

    def _change(
        self, subject: SubjectIdentity, action: Capability, extensions: dict[str, Any] | None = None
    ) -> ChangeResult:
        result = self._run(subject, action, extensions)
        return ChangeResult(
            changed=int(result.get("changed", 0)),
            already=int(result.get("already", 0)),
            uncovered=int(result.get("uncovered", 0)),
            statement_kept=bool(result.get("statement_kept", False)),
            note=str(result.get("note", ""))[:500],
        )

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        """The service says what it did: ``changed``, ``already``, ``uncovered`` (what it
        cannot do) and ``statement_kept`` (it stored the supplementary statement)."""
        extensions: dict[str, Any] = {"changes": dict(changes)}
        if statement:
            extensions["statement"] = statement
        return self._change(subject, Capability.RECTIFY, extensions)

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        return self._change(subject, Capability.RESTRICT)

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        return self._change(subject, Capability.LIFT_RESTRICTION)

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        return self._change(subject, Capability.OBJECT, {"objection": kind.value})


def _identities(subject: SubjectIdentity) -> list[dict[str, str]]:
    identities = [
        {"identity_type": "email", "identity_value": e, "identity_format": "raw"}
        for e in subject.values("email")
    ]
    for key in ("phone", "customer_number"):
        identities += [
            {"identity_type": key, "identity_value": v, "identity_format": "raw"}
            for v in subject.values(key)
        ]
    return identities


def _finished(alias: str, body: Mapping[str, Any], retry_after: float = 60) -> dict[str, Any]:
    status = body.get("request_status") or body.get("status")
    if status == "completed":
        return dict(body.get("result") or {})
    if status in ("pending", "in_progress", None):
        raise StillWorking(f"{alias}: still working", retry_after=retry_after)
    raise ConnectorRefused(f"{alias}: the system reported {status}")
