"""A small threaded HTTP server that fakes a vendor's API on 127.0.0.1, with failures on demand.

Each fake declares routes (method, regex) -> handler(request) -> (status, body[, headers]).
Tests queue failures (``fail_next(429, retry_after=1)``), slow responses, or expire the token.
"""

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, Any] | tuple[int, Any, dict[str, str]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route's named groups

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Failure:
    status: int
    body: Any
    headers: dict[str, str]
    path: str = ""


class FakeServer:
    """Subclasses fill ``routes``. Start with ``with Fake() as fake: fake.url``."""

    routes: list[tuple[str, str, str]] = []  # (method, path regex, handler method name)

    def __init__(self) -> None:
        self.failures: deque[Failure] = deque()
        self.delay = 0.0
        self.log: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        self._compiled = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes]
        self._server: ThreadingHTTPServer | None = None

    # --- control from tests ------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: Any = None,
        path: str = "",
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        for _ in range(times):
            self.failures.append(Failure(status, body or self.error_body(status), headers, path))

    def error_body(self, status: int) -> Any:
        return {"error": f"status {status}"}

    def calls(self, method: str = "", contains: str = "") -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.log if (not method or m == method) and contains in p]

    # --- serving ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> "FakeServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, port: int = 0) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _serve(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def authorised(self, request: Request) -> Response | None:
        """None if the request may go on, else the vendor's 401."""
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path.removesuffix(".json")  # Zendesk and Salesforce accept both forms
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method=handler.command,
            path=path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self.lock:
            self.log.append((request.method, handler.path))
            failure = None
            if self.failures and (
                not self.failures[0].path or self.failures[0].path in request.path
            ):
                failure = self.failures.popleft()
        if self.delay:
            time.sleep(self.delay)
        if failure is not None:
            return self._reply(handler, failure.status, failure.body, failure.headers)
        denied = self.authorised(request)
        if denied is not None:
            return self._reply(handler, *denied)
        for method, pattern, name in self._compiled:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                with self.lock:
                    result = getattr(self, name)(request)
                return self._reply(handler, *result)
        return self._reply(handler, 404, self.error_body(404))

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)


Handler = Callable[[Request], Response]
