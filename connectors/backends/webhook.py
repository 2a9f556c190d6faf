"""In-house systems and OpenDSR processors speaking the signed protocol (see connectors.webhook).

OPTIONS: ``url`` (the service's base URL: 2.0 requests go to ``{url}/v1/requests``, 1.0 ones to
``{url}/opengdpr_requests``), ``secret`` (``env:``; signs both directions), ``token``
(``env:``, optional: sent as ``Authorization: Bearer``, for processors that want one, such as
another instance of this portal), ``opendsr_version`` ("2.0", the default, or "1.0"),
``regulation`` ("gdpr"), ``timeout``, ``poll_seconds``, ``discovery_seconds`` (how long the
processor's discovery is kept: 60).

Before its first request a job run reads the processor's discovery: a request type it does not
list, or a subject of whom we hold no identifier it accepts, is reported as not supported there
(``ConnectorUnsupported``), never as "no data". Only the identities it accepts are sent, hashed
when it asks for a hash. An answer that carries a signature is checked against the secret.

Each action becomes one request whose id (a UUID in version 4 form) is stable across retries,
so the service can recognise a repeated delivery. The service answers at once (``completed``
with the result inline) or later: the job then asks again, and a signed status callback to the
portal wakes it up early. Exported records come inline, as ``{"result": {"records": {category:
[record, ...]}}}`` (the in-house extension), or behind the status's ``results_url``: a JSON
object of that shape or a ZIP with this portal's ``data.json``. For a portability answer (Art.
20) the service may add ``{"portability": {category: {"legal_basis": "contract", "inferred":
[field, ...]}}}``: the processing's legal basis and the fields it inferred (without it the
register decides the basis, and every field counts as provided).
"""

import hashlib
import io
import json
import time
import uuid
import zipfile
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
    ConnectorUnsupported,
    ErasureResult,
    ExportPage,
    LocateResult,
    ObjectionKind,
    Retained,
    StillWorking,
    SubjectIdentity,
)
from connectors.egress import EgressRefused, check_egress, egress_client
from connectors.webhook import Protocol, SignatureError, callback_url, protocol, sign, verify

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


# Our identifiers and the OpenDSR identity types they go as (phone is the portal's extension).
IDENTITY_TYPES = {
    "email": "email",
    "customer_number": "controller_customer_id",
    "phone": "phone",
}
HASHES = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "md5": hashlib.md5}


class WebhookConnector(Connector):
    capabilities = frozenset(TYPES)

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.url = str(options.get("url", "")).rstrip("/")
        self.secret = str(options.get("secret", ""))
        if not self.url or not self.secret:
            raise ConnectorMisconfigured(f"{alias}: the webhook connector needs url and secret")
        try:
            self.protocol: Protocol = protocol(str(options.get("opendsr_version", "2.0")))
        except ValueError as exc:
            raise ConnectorMisconfigured(f"{alias}: opendsr_version must be 2.0 or 1.0") from exc
        self.token = str(options.get("token", ""))
        self.regulation = str(options.get("regulation", "gdpr"))
        # Every call passes the egress check and connects to the address it checked.
        self.client = egress_client(timeout=float(options.get("timeout", 30)))
        self.poll = float(options.get("poll_seconds", settings.DSR_WEBHOOK_POLL_SECONDS))
        self.discovery_seconds = float(options.get("discovery_seconds", 60))
        self._discovery: tuple[float, dict[str, Any]] | None = None

    def close(self) -> None:
        self.client.close()

    # --- protocol ---------------------------------------------------------------------------

    def request_id(self, subject: SubjectIdentity, action: Capability) -> str:
        """Stable across retries of the same work, different for anyone else: the request,
        the system, the action and who is looked for all go into it. Derived by name, then
        given the version 4 form the specification asks for (lowercase)."""
        who = hashlib.sha256(json.dumps(_identities(subject), sort_keys=True).encode())
        derived = uuid.uuid5(
            NAMESPACE, f"{subject.request_key}:{self.alias}:{action}:{who.hexdigest()}"
        )
        return str(uuid.UUID(bytes=derived.bytes, version=4))

    def _send(self, method: str, url: str, payload: Any = None) -> httpx.Response:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            **sign(self.secret, body, version=self.protocol),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
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
        signature = response.headers.get(self.protocol.signature)
        if signature is not None:
            # A signed answer (this portal's processor side signs every one) must hold; the
            # same status read twice is no replay, so it is not refused as seen before.
            try:
                verify(
                    self.secret,
                    response.content,
                    signature,
                    response.headers.get(self.protocol.timestamp, ""),
                    once=False,
                )
            except SignatureError as exc:
                raise ConnectorRefused(
                    f"{self.alias}: the answer's signature fails ({exc})"
                ) from exc
        return response

    def discovery(self) -> dict[str, Any]:
        """What the processor says it supports, read once per job run (kept for
        ``discovery_seconds``, so polls and callbacks do not ask again)."""
        now = time.monotonic()
        if self._discovery is not None and now - self._discovery[0] < self.discovery_seconds:
            return self._discovery[1]
        response = self._send("GET", f"{self.url}{self.protocol.discovery}")
        try:
            document = response.json()
        except ValueError as exc:
            raise ConnectorRefused(f"{self.alias}: the discovery is not JSON") from exc
        if not isinstance(document, dict) or response.status_code != 200:
            raise ConnectorRefused(f"{self.alias}: no discovery document")
        self._discovery = (now, document)
        return document

    def supported_types(self) -> frozenset[str]:
        return frozenset(
            str(t) for t in self.discovery().get("supported_subject_request_types") or ()
        )

    def identities_for(self, subject: SubjectIdentity) -> list[dict[str, str]]:
        """The subject's identities the processor accepts, each in the first format it lists
        for the type (raw, or hashed as it asks)."""
        accepted: dict[str, list[str]] = {}
        for item in self.discovery().get("supported_identities") or ():
            if isinstance(item, Mapping):
                kind, form = (
                    str(item.get("identity_type", "")),
                    str(item.get("identity_format", "")),
                )
                if form == "raw" or form in HASHES:
                    accepted.setdefault(kind, []).append(form)
        sent = []
        for identity in _identities(subject):
            forms = accepted.get(identity["identity_type"])
            if not forms:
                continue
            form = "raw" if "raw" in forms else forms[0]
            value = identity["identity_value"]
            if form != "raw":
                value = HASHES[form](value.strip().lower().encode()).hexdigest()
            sent.append({**identity, "identity_value": value, "identity_format": form})
        return sent

    def submit(self, subject: SubjectIdentity, kind: str, *, request_id: str) -> dict[str, Any]:
        """Hand a request of one of the specification's types over (a forwarding to another
        controller that speaks OpenDSR): no callback, for it is theirs to answer from now on.
        Returns the create response; a repeat of the same id (409) is taken as sent."""
        payload = self._request(subject, kind, request_id, who="receiver")
        created = self._send("POST", f"{self.url}{self.protocol.requests}", payload)
        return created.json() if created.status_code != 409 and created.content else {}

    def _request(
        self, subject: SubjectIdentity, kind: str, request_id: str, *, who: str
    ) -> dict[str, Any]:
        """A request of one of the specification's types as this version writes it, refused
        (unsupported) where the other side takes neither the type nor any identifier we hold."""
        if kind not in self.supported_types():
            raise ConnectorUnsupported(f"{self.alias}: the {who} does not support {kind}")
        identities = self.identities_for(subject)
        if not identities:
            raise ConnectorUnsupported(
                f"{self.alias}: the {who} accepts none of the identifiers we hold"
            )
        payload: dict[str, Any] = {
            "subject_request_id": request_id,
            "subject_request_type": kind,
            "submitted_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "subject_identities": identities,
            "api_version": self.protocol.version,
        }
        if self.protocol.version != "1.0":  # 1.0 has no regulation field
            payload["regulation"] = self.regulation
        return payload

    def _run(
        self, subject: SubjectIdentity, action: Capability, extensions: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Submit (idempotently) and return the finished status, or raise StillWorking."""
        request_id = self.request_id(subject, action)
        stored = subject.reports.get(request_id)
        if stored is not None and _status(stored) == "completed":
            return dict(stored)
        if stored is not None and _status(stored) == "cancelled":
            return _finished(self.alias, stored)
        payload = self._request(subject, TYPES[action], request_id, who="processor")
        payload["status_callback_urls"] = [callback_url(self.alias, request_id)]
        payload["extensions"] = extensions or {}
        requests = f"{self.url}{self.protocol.requests}"
        created = self._send("POST", requests, payload)
        body = created.json() if created.content else {}
        if created.status_code == 409 or _status(body) != "completed":
            body = self._send("GET", f"{requests}/{request_id}").json()
        return _finished(self.alias, body, retry_after=self.poll)

    def _result(self, status: Mapping[str, Any]) -> dict[str, Any]:
        """What the service did: inline (the in-house extension), else from ``results_url``."""
        if isinstance(status.get("result"), Mapping):
            return dict(status["result"])
        url = str(status.get("results_url") or "")
        if not url:
            count = status.get("results_count")
            return {"results_count": int(count)} if isinstance(count, int) else {}
        response = self._send("GET", url)
        return _read_results(self.alias, response)

    # --- capabilities ---------------------------------------------------------------------------

    def check(self) -> str:
        check_egress(self.url)
        return f"signed protocol at {self.url}"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        result = self._result(self._run(subject, Capability.LOCATE))
        return LocateResult(found=bool(result.get("found")), records=int(result.get("records", 0)))

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        result = self._result(self._run(subject, Capability.EXPORT))
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
        result = self._result(self._run(subject, Capability.ERASE, {"consent_only": consent_only}))
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
            # A processor that says only how many results it found erased those.
            erased=int(result.get("erased", result.get("results_count", 0))),
            anonymised=int(result.get("anonymised", 0)),
            retained=retained,
        )

    def _change(
        self, subject: SubjectIdentity, action: Capability, extensions: dict[str, Any] | None = None
    ) -> ChangeResult:
        result = self._result(self._run(subject, action, extensions))
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
    return [
        {"identity_type": kind, "identity_value": value, "identity_format": "raw"}
        for key, kind in IDENTITY_TYPES.items()
        for value in subject.values(key)
    ]


def _status(body: Mapping[str, Any]) -> Any:
    return body.get("request_status") or body.get("status")


def _finished(alias: str, body: Mapping[str, Any], retry_after: float = 60) -> dict[str, Any]:
    status = _status(body)
    if status == "completed":
        return dict(body)
    if status in ("pending", "in_progress", None):
        raise StillWorking(f"{alias}: still working", retry_after=retry_after)
    raise ConnectorRefused(f"{alias}: the system reported {status}")


def _read_results(alias: str, response: httpx.Response) -> dict[str, Any]:
    """The records behind a ``results_url``: a JSON object like the inline result, or a ZIP
    with a ``data.json`` of ``{"systems": {system: {category: [record, ...]}}}`` (this
    portal's answer package; categories of several systems are named ``system/category``)."""
    if response.status_code != 200:
        raise ConnectorRefused(f"{alias}: the results are gone ({response.status_code})")
    content = response.content
    if zipfile.is_zipfile(io.BytesIO(content)):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                data = json.loads(archive.read("data.json"))
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ConnectorRefused(f"{alias}: the results hold no readable data.json") from exc
        systems = data.get("systems") or {}
        several = len(systems) > 1
        records = {
            (f"{system}/{category}" if several else str(category)): list(rows)
            for system, categories in systems.items()
            for category, rows in categories.items()
        }
        return {"records": records, "found": bool(records)}
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise ConnectorRefused(f"{alias}: the results are in a format we cannot read") from exc
    if not isinstance(data, dict):
        raise ConnectorRefused(f"{alias}: the results are in a format we cannot read")
    return data
