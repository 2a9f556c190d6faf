"""A test in-house service that speaks the signed protocol, OpenDSR 2.0 (``/v1/...``) and the
1.0 names (``/opengdpr_requests``): it serves its discovery, checks the portal's signature
under the names of the version it was asked in, answers at once or later, and builds signed
callbacks."""

import json
from typing import Any

from connectors.webhook import PROTOCOLS, sign
from tests.fakes.base import FakeServer, Request, Response


class InHouseService(FakeServer):
    routes = [
        ("GET", r"/v1/discovery", "discover"),
        ("POST", r"/v1/requests", "create"),
        ("GET", r"/v1/requests/(?P<id>[\w-]+)", "status"),
        ("GET", r"/discovery", "discover"),
        ("POST", r"/opengdpr_requests", "create"),
        ("GET", r"/opengdpr_requests/(?P<id>[\w-]+)", "status"),
    ]
    # Everything the portal asks of an in-house service, the extension types included.
    TYPES = (
        "access",
        "portability",
        "erasure",
        "locate",
        "rectify",
        "restrict",
        "lift_restriction",
        "object",
    )

    def __init__(self, secret: str, *, immediate: bool = True) -> None:
        super().__init__()
        self.secret = secret
        self.immediate = immediate
        self.requests: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, list[dict[str, Any]]]] = {}
        # What it declares for Art. 20, by category: legal basis and inferred fields.
        self.portability: dict[str, dict[str, Any]] = {}
        # Supplementary statements it was asked to keep, by address; ``restrictable``: it has
        # a restriction flag (otherwise it says the person's records are uncovered).
        self.statements: dict[str, str] = {}
        self.restrictable = True
        self.supported_types = list(self.TYPES)
        self.supported_identities = [
            {"identity_type": "email", "identity_format": "raw"},
            {"identity_type": "controller_customer_id", "identity_format": "raw"},
        ]
        self.discoveries = 0

    def version_of(self, request: Request) -> str:
        return "2.0" if request.path.startswith("/v1/") else "1.0"

    def discover(self, request: Request) -> Response:
        self.discoveries += 1
        return 200, {
            "api_version": self.version_of(request),
            "supported_identities": self.supported_identities,
            "supported_subject_request_types": self.supported_types,
            "processor_certificate": None,
        }

    def authorised(self, request: Request) -> Response | None:
        version = PROTOCOLS[self.version_of(request)]
        expected = sign(
            self.secret,
            request.body,
            int(request.headers.get(version.timestamp.lower(), "0")),
            version=version,
        )[version.signature]
        if request.headers.get(version.signature.lower()) != expected:
            return 401, {"error": "bad signature"}
        return None

    def result_for(self, body: dict[str, Any]) -> dict[str, Any]:
        emails = [
            i["identity_value"].lower()
            for i in body["subject_identities"]
            if i["identity_type"] == "email" and i["identity_format"] == "raw"
        ]
        data = {k: v for e in emails for k, v in self.people.get(e, {}).items()}
        kind = body["subject_request_type"]
        if kind == "locate":
            return {"found": bool(data), "records": sum(len(v) for v in data.values())}
        if kind == "access":
            return {
                "records": data,
                **({"portability": self.portability} if self.portability else {}),
            }
        if kind == "erasure":
            erased = sum(len(v) for v in data.values())
            for email in emails:
                self.people.pop(email, None)
            return {"erased": erased, "retained": []}
        if kind == "rectify":
            statement = str(body.get("extensions", {}).get("statement", ""))
            for email in emails if statement and data else ():
                self.statements[email] = statement
            fields = body.get("extensions", {}).get("changes") or {}
            return {
                "changed": 1 if data and fields else 0,
                "statement_kept": bool(statement and data),
            }
        if kind == "restrict" and not self.restrictable:
            return {"changed": 0, "uncovered": sum(len(v) for v in data.values())}
        return {"changed": 1 if data else 0}

    def create(self, request: Request) -> Response:
        body = request.json()
        if body["subject_request_id"] in self.requests:
            return 409, {"error": "exists"}
        entry = {
            "subject_request_id": body["subject_request_id"],
            "body": body,
            "request_status": "pending",
        }
        if self.immediate:
            entry.update(request_status="completed", result=self.result_for(body))
        self.requests[body["subject_request_id"]] = entry
        return 201, {k: v for k, v in entry.items() if k != "body"}

    def status(self, request: Request) -> Response:
        entry = self.requests.get(request.params["id"])
        if entry is None:
            return 404, {"error": "unknown"}
        return 200, {k: v for k, v in entry.items() if k != "body"}

    def finish(self, request_id: str, *, version: str = "2.0") -> tuple[bytes, dict[str, str], str]:
        """Complete a pending request; returns the signed callback (body, headers, URL)."""
        entry = self.requests[request_id]
        entry.update(request_status="completed", result=self.result_for(entry["body"]))
        url = entry["body"]["status_callback_urls"][0]
        message = {k: v for k, v in entry.items() if k != "body"} | {"status_callback_url": url}
        body = json.dumps(message).encode()
        headers = sign(self.secret, body, version=PROTOCOLS[version])
        headers[PROTOCOLS[version].domain] = "inhouse.example"
        return body, headers, url
