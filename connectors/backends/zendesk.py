"""Zendesk Support (tickets, chat) over its REST API v2 with OAuth 2.0.

OPTIONS: ``base_url`` (``https://{subdomain}.zendesk.com``), ``token_url``
(``…/oauth/tokens``), ``client_id``, ``client_secret`` (``env:``), ``mode`` (``delete``:
soft then permanent deletion of the user, the default; ``redact``: keep the user and redact
the text of their comments), ``page_size``, ``rectifiable`` (user fields; name, phone). The
OAuth client needs the read and write scopes.

Exports carry the subject's user, the tickets they requested or were copied on, and the
comments of those tickets; other people's names and e-mail addresses are redacted.
"""

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from connectors.backends.http import HTTPVendor
from connectors.base import (
    Capability,
    ChangeResult,
    Connector,
    ErasureResult,
    ExportPage,
    LocateResult,
    SubjectIdentity,
    withheld,
)

FOUND_KEY = "zendesk_user"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED = withheld("third_party")  # shown as a marker in the reader's language


class ZendeskConnector(Connector):
    # Zendesk has no restriction and no marketing function: those jobs go to a person.
    capabilities = frozenset(
        {Capability.LOCATE, Capability.EXPORT, Capability.ERASE, Capability.RECTIFY}
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.http = HTTPVendor(alias, dict(options))
        self.page_size = int(options.get("page_size", 100))
        self.mode = options.get("mode", "delete")

    def close(self) -> None:
        self.http.close()

    # --- finding the subject --------------------------------------------------------------------

    def _users(self, subject: SubjectIdentity) -> list[dict[str, Any]]:
        users: dict[int, dict[str, Any]] = {}
        for email in subject.values("email"):
            # The search API; the address is quoted so it is matched whole.
            response = self.http.request(
                "GET", "/api/v2/users/search.json", params={"query": f'email:"{email}"'}
            )
            for user in response.json().get("users", []):
                if (user.get("email") or "").lower() == email.lower():
                    users[user["id"]] = user
        return list(users.values())

    def _cursor(
        self, path: str, key: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Cursor pagination: follow ``links.next`` while ``meta.has_more``."""
        url: str | None = path
        query: dict[str, Any] | None = {"page[size]": self.page_size, **(params or {})}
        while url:
            body = self.http.request("GET", url, params=query).json()
            yield body
            url = (
                body.get("links", {}).get("next") if body.get("meta", {}).get("has_more") else None
            )
            query = None  # the next link carries the query

    # --- capabilities ---------------------------------------------------------------------------

    def check(self) -> str:
        self.http.request("GET", "/api/v2/users/search.json", params={"query": "email:none"})
        return "Zendesk API reachable"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        users = self._users(subject)
        return LocateResult(
            found=bool(users),
            records=len(users),
            identifiers={FOUND_KEY: tuple(str(u["id"]) for u in users)} if users else {},
        )

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        """The user's own fields (``rectifiable``: name, phone) by ``PUT /api/v2/users/{id}``;
        the supplementary statement goes into the user's ``notes``, which agents see next to
        every ticket. Ticket text is what was written at the time: not rectifiable."""
        allowed = set(self.options.get("rectifiable", ("name", "phone")))
        values = {}
        refused = False
        for target, value in changes.items():
            table, _, field = target.rpartition(".")
            if table and table != "users":
                continue
            if field in allowed:
                values[field] = value
            else:
                refused = True
        users = self._users(subject)
        changed = 0
        for user in users:
            update = dict(values)
            if statement:
                earlier = (user.get("notes") or "").strip()
                note = f"Supplementary statement (Art. 16 GDPR): {statement}"
                update["notes"] = f"{earlier}\n\n{note}" if earlier else note
            if update:
                self.http.request("PUT", f"/api/v2/users/{user['id']}.json", json={"user": update})
                changed += bool(values)
        return ChangeResult(
            changed=changed,
            uncovered=len(users) if refused else 0,
            statement_kept=bool(statement and users),
            note="Some of these fields cannot be corrected in Zendesk." if refused else "",
        )

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        for user in self._users(subject):
            subject_id = user["id"]
            yield ExportPage("profile", (user,), provided_fields=("name", "email", "phone"))
            # Ticket ids first (small), so that everyone taking part in any of the subject's
            # tickets is known before the first comment is written out: a person named in one
            # ticket's text may only appear as a participant in another.
            tickets: dict[int, dict[str, Any]] = {}
            for kind in ("requested", "ccd"):
                for body in self._cursor(
                    f"/api/v2/users/{subject_id}/tickets/{kind}.json", "tickets"
                ):
                    for ticket in body.get("tickets", []):
                        tickets.setdefault(ticket["id"], ticket)
            others = self._participants(tickets.values(), subject_id)
            ids = list(tickets)
            for start in range(0, len(ids), self.page_size):
                yield ExportPage(
                    "tickets", tuple(tickets[i] for i in ids[start : start + self.page_size])
                )
            for ticket_id in ids:
                yield from self._comments(ticket_id, subject_id, user, others)

    def _participants(self, tickets: Any, subject_id: int) -> list[dict[str, Any]]:
        ids = set()
        for ticket in tickets:
            ids.add(ticket.get("requester_id"))
            ids.add(ticket.get("submitter_id"))
            ids.update(ticket.get("collaborator_ids") or ())
        ids = {i for i in ids if i and i != subject_id}
        users: list[dict[str, Any]] = []
        ordered = sorted(ids)
        for start in range(0, len(ordered), 100):  # show_many takes up to 100 ids
            chunk = ",".join(str(i) for i in ordered[start : start + 100])
            body = self.http.request(
                "GET", "/api/v2/users/show_many.json", params={"ids": chunk}
            ).json()
            users += body.get("users", [])
        return users

    def _comments(
        self, ticket_id: int, subject_id: int, subject: dict[str, Any], known: list[dict[str, Any]]
    ) -> Iterator[ExportPage]:
        for body in self._cursor(
            f"/api/v2/tickets/{ticket_id}/comments.json", "comments", {"include": "users"}
        ):
            others = known + [u for u in body.get("users", []) if u["id"] != subject_id]
            comments = tuple(
                redact_others(comment, subject_id, subject, others)
                for comment in body.get("comments", [])
            )
            if comments:
                yield ExportPage("comments", comments)

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        if consent_only:
            return ErasureResult()  # support requests rest on the contract or on our duty
        ids = {u["id"] for u in self._users(subject)}
        ids |= {int(i) for i in subject.found.get(FOUND_KEY, ())}  # soft-deleted: not searchable
        if self.mode == "redact":
            return ErasureResult(anonymised=sum(self._redact(user_id) for user_id in ids))
        erased = 0
        for user_id in sorted(ids):
            # Soft delete first (404: already done by an earlier attempt), then for good. A 429
            # here (700 per 10 minutes) is a retry-later: the job comes back after Retry-After.
            self.http.request("DELETE", f"/api/v2/users/{user_id}.json", allow=(404,))
            response = self.http.request(
                "DELETE", f"/api/v2/deleted_users/{user_id}.json", allow=(404,)
            )
            erased += response.status_code == 200
        return ErasureResult(erased=erased)

    def _redact(self, user_id: int) -> int:
        redacted = 0
        for kind in ("requested", "ccd"):
            for body in self._cursor(f"/api/v2/users/{user_id}/tickets/{kind}.json", "tickets"):
                for ticket in body.get("tickets", []):
                    for page in self._cursor(
                        f"/api/v2/tickets/{ticket['id']}/comments.json", "comments"
                    ):
                        for comment in page.get("comments", []):
                            if comment.get("author_id") != user_id or not comment.get("body"):
                                continue
                            self.http.request(
                                "PUT",
                                f"/api/v2/comment_redactions/{comment['id']}.json",
                                json={
                                    "ticket_id": ticket["id"],
                                    "html_body": f"<redact>{comment['body']}</redact>",
                                },
                            )
                            redacted += 1
        return redacted


def redact_others(
    comment: dict[str, Any], subject_id: int, subject: dict[str, Any], others: list[dict[str, Any]]
) -> dict[str, Any]:
    """The comment as the subject may see it: other people's names and addresses removed."""
    keep = {(subject.get("email") or "").lower()}
    text = str(comment.get("body", ""))
    for other in others:
        for value in (other.get("name"), other.get("email")):
            if value:
                text = text.replace(str(value), REDACTED)
    text = EMAIL.sub(lambda m: m.group(0) if m.group(0).lower() in keep else REDACTED, text)
    return {
        "id": comment["id"],
        "ticket_id": comment.get("ticket_id"),
        "created_at": comment.get("created_at"),
        "public": comment.get("public"),
        "author": "you" if comment.get("author_id") == subject_id else "other participant",
        "body": text,
    }
