"""A fake of the Zendesk Support API: user search, cursor-paginated tickets and comments with
side-loaded users, soft then permanent deletion (with its rate limit and tombstones), comment
redaction, OAuth tokens that expire, and failures on demand."""

import itertools
from typing import Any
from urllib.parse import urlencode

from tests.fakes.base import FakeServer, Request, Response


class FakeZendesk(FakeServer):
    routes = [
        ("POST", r"/oauth/tokens", "token"),
        ("GET", r"/api/v2/users/search", "search_users"),
        ("GET", r"/api/v2/users/show_many", "show_many"),
        ("GET", r"/api/v2/users/(?P<id>\d+)", "get_user"),
        ("PUT", r"/api/v2/users/(?P<id>\d+)", "update_user"),
        ("DELETE", r"/api/v2/users/(?P<id>\d+)", "soft_delete"),
        ("DELETE", r"/api/v2/deleted_users/(?P<id>\d+)", "permanent_delete"),
        ("GET", r"/api/v2/users/(?P<id>\d+)/tickets/(?P<kind>requested|ccd)", "user_tickets"),
        ("GET", r"/api/v2/tickets/(?P<id>\d+)/comments", "ticket_comments"),
        ("PUT", r"/api/v2/comment_redactions/(?P<id>\d+)", "redact_comment"),
    ]

    def __init__(self, client_id: str = "dsr", client_secret: str = "s3cret") -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.next_base = ""  # where the next links point (a test sets another host)
        self.tokens: set[str] = set()
        self.users: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.permanent_limit = 700  # per window, as Zendesk documents (700 per 10 minutes)
        self.permanent_done = 0
        self._ids = itertools.count(1000)
        self._tokens = itertools.count(1)

    # --- data ------------------------------------------------------------------------------------

    def add_user(self, email: str, name: str, role: str = "end-user") -> int:
        user_id = next(self._ids)
        self.users[user_id] = {
            "id": user_id,
            "email": email,
            "name": name,
            "role": role,
            "active": True,
            "url": f"/api/v2/users/{user_id}.json",
        }
        return user_id

    def add_ticket(
        self,
        requester: int,
        subject: str,
        comments: list[tuple[int, str]],
        ccs: tuple[int, ...] = (),
    ) -> int:
        ticket_id = next(self._ids)
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "subject": subject,
            "requester_id": requester,
            "collaborator_ids": list(ccs),
            "status": "open",
        }
        for author, body in comments:
            comment_id = next(self._ids)
            self.comments[comment_id] = {
                "id": comment_id,
                "ticket_id": ticket_id,
                "type": "Comment",
                "author_id": author,
                "body": body,
                "html_body": f'<div class="zd-comment">{body}</div>',
                "public": True,
            }
        return ticket_id

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # --- protocol --------------------------------------------------------------------------------

    def error_body(self, status: int) -> Any:
        return {
            "error": "RecordNotFound" if status == 404 else f"Error{status}",
            "description": "Fake Zendesk error",
        }

    def authorised(self, request: Request) -> Response | None:
        if request.path == "/oauth/tokens":
            return None
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, {
                "error": "invalid_token",
                "error_description": "The access token provided is expired",
            }
        return None

    def token(self, request: Request) -> Response:
        form = request.form()
        if (form.get("client_id", [""])[0], form.get("client_secret", [""])[0]) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client"}
        token = f"tok-{next(self._tokens)}"
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "scope": "read write"}

    def _cursor(
        self,
        request: Request,
        key: str,
        items: list[dict[str, Any]],
        extra: dict[str, Any] | None = None,
    ) -> Response:
        size = int(request.arg("page[size]", "100"))
        after = request.arg("page[after]")
        start = int(after) if after else 0
        chunk = items[start : start + size]
        more = start + size < len(items)
        next_link = None
        if more:
            query = {k: v[0] for k, v in request.query.items()}
            query["page[after]"] = str(start + size)
            next_link = f"{self.next_base or self.url}{request.path}?{urlencode(query)}"
        return 200, {
            key: chunk,
            **(extra or {}),
            "meta": {
                "has_more": more,
                "after_cursor": str(start + size) if more else None,
                "before_cursor": None,
            },
            "links": {"next": next_link, "prev": None},
        }

    def search_users(self, request: Request) -> Response:
        query = request.arg("query")
        email = query.removeprefix("email:").strip('"').lower()
        found = [
            u
            for u in self.users.values()
            if u["active"] and u.get("email") and u["email"].lower() == email
        ]
        return 200, {"users": found, "next_page": None, "previous_page": None, "count": len(found)}

    def show_many(self, request: Request) -> Response:
        ids = [int(i) for i in request.arg("ids").split(",") if i]
        return 200, {"users": [self.users[i] for i in ids if i in self.users]}

    def get_user(self, request: Request) -> Response:
        user = self.users.get(int(request.params["id"]))
        return (200, {"user": user}) if user else (404, self.error_body(404))

    def update_user(self, request: Request) -> Response:
        user = self.users.get(int(request.params["id"]))
        if user is None or not user["active"]:
            return 404, self.error_body(404)
        user.update(request.json().get("user", {}))
        return 200, {"user": user}

    def soft_delete(self, request: Request) -> Response:
        user = self.users.get(int(request.params["id"]))
        if user is None or not user["active"]:
            return 404, self.error_body(404)
        user["active"] = False
        return 200, {"user": user}

    def permanent_delete(self, request: Request) -> Response:
        user = self.users.get(int(request.params["id"]))
        if user is None or user["active"] or user.get("permanently_deleted"):
            # Only a soft-deleted user can be deleted for good.
            return 404, self.error_body(404)
        if self.permanent_done >= self.permanent_limit:
            return 429, {"error": "TooManyRequests"}, {"Retry-After": "1"}
        self.permanent_done += 1
        user.update(
            {"email": None, "name": "Permanently Deleted User", "permanently_deleted": True}
        )
        return 200, {"deleted_user": {"id": user["id"], "name": user["name"], "email": None}}

    def user_tickets(self, request: Request) -> Response:
        user_id = int(request.params["id"])
        if request.params["kind"] == "requested":
            items = [t for t in self.tickets.values() if t["requester_id"] == user_id]
        else:
            items = [t for t in self.tickets.values() if user_id in t["collaborator_ids"]]
        return self._cursor(request, "tickets", items)

    def ticket_comments(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        items = [c for c in self.comments.values() if c["ticket_id"] == ticket_id]
        authors = {c["author_id"] for c in items}
        users = (
            [self.users[a] for a in authors if a in self.users]
            if request.arg("include") == "users"
            else []
        )
        return self._cursor(request, "comments", items, {"users": users})

    def redact_comment(self, request: Request) -> Response:
        comment = self.comments.get(int(request.params["id"]))
        if comment is None:
            return 404, self.error_body(404)
        html = request.json()["html_body"]
        inner = html.split("<redact>")[1].split("</redact>")[0] if "<redact>" in html else ""
        if inner:
            comment["body"] = comment["body"].replace(inner, "▇" * len(inner))
            comment["html_body"] = comment["html_body"].replace(inner, "▇" * len(inner))
        return 200, {"comment": comment}
