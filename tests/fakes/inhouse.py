"""A test in-house service that speaks the signed protocol: it checks the portal's signature,
answers at once or later, and builds signed callbacks."""

import json
from typing import Any

from connectors.webhook import SIGNATURE, TIMESTAMP, sign
from tests.fakes.base import FakeServer, Request, Response


class InHouseService(FakeServer):
    routes = [
        ("POST", r"/opengdpr_requests", "create"),
        ("GET", r"/opengdpr_requests/(?P<id>[\w-]+)", "status"),
    ]

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

    def authorised(self, request: Request) -> Response | None:
        expected = sign(
            self.secret, request.body, int(request.headers.get(TIMESTAMP.lower(), "0"))
        )[SIGNATURE]
        if request.headers.get(SIGNATURE.lower()) != expected:
            return 401, {"error": "bad signature"}
        return None

    def result_for(self, body: dict[str, Any]) -> dict[str, Any]:
        emails = [
            i["identity_value"].lower()
            for i in body["subject_identities"]
            if i["identity_type"] == "email"
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

    def finish(self, request_id: str) -> tuple[bytes, dict[str, str], str]:
        """Complete a pending request; returns the signed callback (body, headers, URL)."""
        entry = self.requests[request_id]
        entry.update(request_status="completed", result=self.result_for(entry["body"]))
        body = json.dumps({k: v for k, v in entry.items() if k != "body"}).encode()
        return body, sign(self.secret, body), entry["body"]["status_callback_urls"][0]
