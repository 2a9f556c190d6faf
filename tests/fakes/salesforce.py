"""A fake of the Salesforce REST API: OAuth client-credentials tokens that expire with
INVALID_SESSION_ID, SOQL queries (the simple shapes the connector sends) with ``nextRecordsUrl``
paging and backslash escaping, sObject create/read/update/delete (a Note on a record), the
Individual object, and Salesforce's error bodies (a JSON list of {message, errorCode})."""

import itertools
import re
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

VERSION = "v60.0"
QUERY = re.compile(
    r"^SELECT (?P<fields>[\w, .]+) FROM (?P<type>\w+) WHERE (?P<field>\w+) = "
    r"'(?P<value>(?:[^'\\]|\\.)*)'$"
)


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


class FakeSalesforce(FakeServer):
    routes = [
        ("POST", r"/services/oauth2/token", "token"),
        ("GET", rf"/services/data/{VERSION}/query", "query"),
        ("GET", rf"/services/data/{VERSION}/query/(?P<cursor>[\w-]+)", "more"),
        ("POST", rf"/services/data/{VERSION}/sobjects/(?P<type>\w+)", "create"),
        ("GET", rf"/services/data/{VERSION}/sobjects/(?P<type>\w+)/(?P<id>\w+)", "get"),
        ("PATCH", rf"/services/data/{VERSION}/sobjects/(?P<type>\w+)/(?P<id>\w+)", "patch"),
        ("DELETE", rf"/services/data/{VERSION}/sobjects/(?P<type>\w+)/(?P<id>\w+)", "delete"),
    ]

    def __init__(self, page_size: int = 2) -> None:
        super().__init__()
        self.page_size = page_size
        self.next_base = ""  # nextRecordsUrl is a path; a test makes it another host's URL
        self.tokens: set[str] = set()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            t: {} for t in ("Contact", "Lead", "Case", "Task", "Individual", "Note")
        }
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def add(self, kind: str, **fields: Any) -> str:
        prefix = {
            "Contact": "003",
            "Lead": "00Q",
            "Case": "500",
            "Task": "00T",
            "Individual": "0PK",
            "Note": "002",
        }[kind]
        record_id = f"{prefix}{next(self._ids):015d}"
        self.objects[kind][record_id] = {"Id": record_id, **fields}
        return record_id

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def error_body(self, status: int) -> Any:
        code = {404: "NOT_FOUND", 400: "MALFORMED_QUERY", 429: "REQUEST_LIMIT_EXCEEDED"}.get(
            status, "UNKNOWN_EXCEPTION"
        )
        return [{"message": "Fake Salesforce error", "errorCode": code}]

    def authorised(self, request: Request) -> Response | None:
        if request.path.endswith("/oauth2/token"):
            return None
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        return None

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type", [""])[0] != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        token = f"00D!{next(self._ids)}"
        self.tokens.add(token)
        return 200, {"access_token": token, "instance_url": self.url, "token_type": "Bearer"}

    def _attributes(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "attributes": {
                "type": kind,
                "url": f"/services/data/{VERSION}/sobjects/{kind}/{record['Id']}",
            },
            **record,
        }

    def _respond(self, rows: list[dict[str, Any]]) -> Response:
        first, rest = rows[: self.page_size], rows[self.page_size :]
        body: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": first}
        if rest:
            cursor = f"01g{next(self._ids)}-{self.page_size}"
            self.cursors[cursor] = rest
            body["nextRecordsUrl"] = f"{self.next_base}/services/data/{VERSION}/query/{cursor}"
        return 200, body

    def query(self, request: Request) -> Response:
        match = QUERY.match(request.arg("q"))
        if not match or match["type"] not in self.objects:
            return 400, [{"message": "unexpected token", "errorCode": "MALFORMED_QUERY"}]
        fields = [f.strip() for f in match["fields"].split(",")]
        value = unescape(match["value"])
        rows = [
            self._attributes(match["type"], {f: r.get(f) for f in fields})
            for r in self.objects[match["type"]].values()
            if str(r.get(match["field"]) or "").lower() == value.lower()
        ]
        return self._respond(rows)

    def more(self, request: Request) -> Response:
        rows = self.cursors.pop(request.params["cursor"], None)
        if rows is None:
            return 400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
        return self._respond(rows)

    def get(self, request: Request) -> Response:
        record = self.objects.get(request.params["type"], {}).get(request.params["id"])
        if record is None:
            return 404, [
                {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
            ]
        return 200, self._attributes(request.params["type"], record)

    def create(self, request: Request) -> Response:
        kind = request.params["type"]
        if kind not in self.objects:
            return 404, self.error_body(404)
        record_id = self.add(kind, **request.json())
        return 201, {"id": record_id, "success": True, "errors": []}

    def patch(self, request: Request) -> Response:
        record = self.objects.get(request.params["type"], {}).get(request.params["id"])
        if record is None:
            return 404, self.error_body(404)
        record.update(request.json())
        return 204, None

    def delete(self, request: Request) -> Response:
        kind, record_id = request.params["type"], request.params["id"]
        if self.objects.get(kind, {}).pop(record_id, None) is None:
            return 404, [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED"}]
        if kind == "Contact":  # deleting a contact cascades to its activities
            for task_id in [
                t for t, r in self.objects["Task"].items() if r.get("WhoId") == record_id
            ]:
                del self.objects["Task"][task_id]
        return 204, None
