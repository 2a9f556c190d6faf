"""Small helpers the tests share: the e-mail outbox, TOTP codes, logging in through allauth."""

import re
import socket
import time
from dataclasses import dataclass

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

URL_RE = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Outbox:
    messages: list[EmailMessage]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m.to]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no e-mail to {address}; sent: {[m.to for m in self.messages]}"
        return found[-1]

    @staticmethod
    def links(message: EmailMessage) -> list[str]:
        return URL_RE.findall(str(message.body))

    @staticmethod
    def html(message: EmailMessage) -> str:
        if isinstance(message, EmailMultiAlternatives):
            for content, mimetype in message.alternatives:
                if mimetype == "text/html":
                    return str(content)
        return ""


def totp_code(secret: str, *, offset: int = 0) -> str:
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def fresh_totp_code(secret: str) -> str:
    """The current code, taken early enough in its period to arrive before it expires."""
    _fresh_totp_period()
    return totp_code(secret)


def _fresh_totp_period(margin: float = 3.0) -> None:
    """Like a person reading a fresh code: never type one that expires on the way (the server
    accepts one period either side, but a loaded test machine can take seconds to answer)."""
    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < margin:
        time.sleep(left + 0.05)


def login_with_password(client: Client, email: str, password: str) -> None:
    """The allauth login form, for accounts without MFA (counts as a recent login)."""
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]


def login_with_totp(client: Client, email: str, password: str, secret: str) -> None:
    """The real allauth journey: password, then the authenticator code."""
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("mfa_authenticate"), response["Location"]
    _fresh_totp_period()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content[:500]


CODE_RE = re.compile(r"\b(\d{6})\b")


def code_in(message: EmailMessage) -> str:
    """The six-digit code in a verification e-mail."""
    match = CODE_RE.search(str(message.body))
    assert match, message.body
    return match.group(1)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def free_port() -> int:
    """A loopback port nobody listens on (now): for a server a test starts, or a dead one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIRM_RE = re.compile(r'name="confirm" value="([0-9a-f]+)"')


def confirmation(page: str) -> str:
    """The confirmation a case action's preview page asks the officer to post back."""
    found = CONFIRM_RE.search(page)
    assert found, "no preview to confirm"
    return found.group(1)


def post_confirmed(client: Client, url: str, data: dict | None = None, **kwargs: object):
    """Post a case action as the officer does: look at its preview, then confirm it. An action
    that asks for no confirmation (or a form refused) answers the first post."""
    data = dict(data or {})
    first = client.post(url, data, **kwargs)
    page = first.content.decode()
    if first.status_code != 200 or not CONFIRM_RE.search(page):
        return first
    return client.post(url, {**data, "confirm": confirmation(page)}, **kwargs)
