"""What the HTTP connectors share: one client, OAuth tokens refreshed once on a 401, and the
mapping of HTTP failures onto "retry later" and "give up".

Error messages are ours: a vendor's error text may quote personal data and is never stored.
"""

from typing import Any

import httpx

from connectors.base import ConnectorRefused, ConnectorUnavailable
from connectors.egress import EgressRefused, egress_client


class HTTPVendor:
    """``token_url`` + ``client_id`` + ``client_secret``: OAuth 2.0 client credentials; or a
    fixed ``token``. ``auth_header`` names how the token is sent (Bearer by default)."""

    def __init__(self, alias: str, options: dict[str, Any]) -> None:
        self.alias = alias
        self.base_url = str(options["base_url"]).rstrip("/")
        self.token_url = options.get("token_url", "")
        self.client_id = options.get("client_id", "")
        self.client_secret = options.get("client_secret", "")
        self.token = options.get("token", "")
        # The vendor's host passes the egress check like an in-house system's, and the
        # connection goes to the address that was checked (connectors/egress.py).
        self.client = egress_client(timeout=float(options.get("timeout", 30)))

    def _fetch_token(self) -> str:
        try:
            response = self.client.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
        except EgressRefused as exc:
            raise ConnectorRefused(f"{self.alias}: address not allowed ({exc})") from exc
        except httpx.TimeoutException as exc:
            raise ConnectorUnavailable(f"{self.alias}: timed out (token endpoint)") from exc
        except httpx.HTTPError as exc:
            raise ConnectorUnavailable(f"{self.alias}: token endpoint unreachable") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorUnavailable(f"{self.alias}: token endpoint {response.status_code}")
        if response.status_code != 200:
            raise ConnectorRefused(f"{self.alias}: the credentials were refused")
        token = str(response.json()["access_token"])
        self.token = token
        return token

    def request(
        self, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """Send one request; statuses in ``allow`` come back to the caller instead of raising."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        if not same_origin(url, self.base_url):
            # A pagination link (Zendesk's links.next, Salesforce's nextRecordsUrl) comes from
            # the vendor's answer: our token goes only to the host we were configured with.
            raise ConnectorRefused(f"{self.alias}: a link to another host was not followed")
        if not self.token and self.token_url:
            self._fetch_token()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
            try:
                response = self.client.request(method, url, headers=headers, **kwargs)
            except EgressRefused as exc:
                raise ConnectorRefused(f"{self.alias}: address not allowed ({exc})") from exc
            except httpx.TimeoutException as exc:
                raise ConnectorUnavailable(f"{self.alias}: timed out") from exc
            except httpx.HTTPError as exc:
                raise ConnectorUnavailable(f"{self.alias}: {type(exc).__name__}") from exc
            if response.status_code == 401 and attempt == 1 and self.token_url:
                self._fetch_token()  # an expired token: one refresh, one more try
                continue
            break
        status = response.status_code
        if status in allow or status < 400:
            return response
        if status == 401:
            raise ConnectorRefused(f"{self.alias}: not authorised (401)")
        if status == 429:
            raise ConnectorUnavailable(
                f"{self.alias}: rate limited (429)", retry_after=retry_after(response)
            )
        if status >= 500:
            raise ConnectorUnavailable(f"{self.alias}: server error ({status})")
        raise ConnectorRefused(f"{self.alias}: request refused ({status}{error_code(response)})")

    def close(self) -> None:
        self.client.close()


def same_origin(url: str, base_url: str) -> bool:
    try:
        target, base = httpx.URL(url), httpx.URL(base_url)
    except httpx.InvalidURL:
        return False
    return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def error_code(response: httpx.Response) -> str:
    """A vendor's error code, never its message (which may quote personal data)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code = body[0].get("errorCode", "")
    elif isinstance(body, dict):
        code = body.get("error", "") if isinstance(body.get("error"), str) else ""
    else:
        code = ""
    return f", {code}" if code else ""
