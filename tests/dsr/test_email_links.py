"""Our own e-mails never carry a link we did not write: what people type is inert text in the
text and the HTML part (issue 16, item 2)."""

import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from dsr.core.controller import get_controller
from dsr.core.inert import defang
from dsr.core.mail import render_email, send_email
from dsr.demo import load_demo
from dsr.forms import RequesterForm
from dsr.models import ProcessingActivity, Recipient
from dsr.services.intake import AgentDetails
from tests.dsr import test_letter_language as letters

pytestmark = pytest.mark.django_db

# Link-like input in every field a requester, an agent or an officer types.
EVIL = {
    "name": "Erika evil.example Mustermann",
    "reasons": "Siehe https://evil.example/login?next=1 und WWW.Evil.Example/x.",
    "question": "Bitte melden Sie sich unter xn--80ak6aa92e.com an: javascript:alert(1)",
    "extension": "Details: mailto:boss@evil.example oder evil.example/reset",
    "decision": "Meine Bestellung (ftp://evil.example/a) bei shop.evil.example.",
    "role": "Leiterin evil.example",
}
AGENT = AgentDetails("Kanzlei evil.example", "kanzlei@example.org", "power_of_attorney")
RECIPIENT = "Neue Cloud evil.example GmbH"

# What a mail client could turn into a link: an independent, generous check.
LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://\S+|www\.\S+|(?:mailto|javascript|ftp):\S+"
    r"|(?<![\w@.-])(?:[\w-]+\.)+[a-z]{2,}\b(?:/\S*)?",
    re.IGNORECASE,
)


class Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value or "" for key, value in attrs if key in ("href", "src")]


def configured() -> set[str]:
    """What the privacy admin configured (an authority's website, a company in the register)
    is ours too."""
    controller = get_controller()
    rows = [
        controller,
        *controller.authorities.all(),
        *ProcessingActivity.objects.all(),
        *Recipient.objects.all(),
    ]
    text = " ".join(
        json.dumps(getattr(row, field.attname), ensure_ascii=False, default=str)
        for row in rows
        for field in row._meta.concrete_fields
    )
    words = {controller.email, settings.DEFAULT_FROM_EMAIL, *LINK.findall(text)}
    return {w.rstrip('.,;:)"') for w in words if w}


def assert_only_ours(subject: str, text: str, html: str) -> None:
    base = settings.DSR_BASE_URL
    allowed = configured()
    for part in (subject, text, html):
        assert "evil.example" not in part.lower()
        assert "xn--80ak6aa92e.com" not in part
        assert "javascript:" not in part
    for word in LINK.findall(f"{subject}\n{text}"):
        word = word.rstrip(".,;:)")
        if "@" in word:
            continue
        assert word.startswith(base) or word in allowed or word.endswith(".json"), word
    parser = Hrefs()
    parser.feed(html)
    assert all(href.startswith(base + "/") for href in parser.hrefs), parser.hrefs


@pytest.fixture
def evil(monkeypatch):
    for language in ("de", "nl"):
        monkeypatch.setitem(letters.TYPED, language, EVIL)
    monkeypatch.setattr(letters, "AGENT", AGENT)
    monkeypatch.setattr(letters, "RECIPIENT", RECIPIENT)
    monkeypatch.setitem(letters.CODES, "verify_url", f"{settings.DSR_BASE_URL}/verify/abc")
    monkeypatch.setitem(letters.CODES, "confirm_url", f"{settings.DSR_BASE_URL}/confirm/abc")


@pytest.mark.parametrize("variant", letters.VARIANTS)
def test_every_letter_to_a_requester_links_only_to_the_portal(evil, variant):
    _request, template, context = letters._letter(variant, "de", "")
    subject, text, html = render_email(template, context, "de")
    assert_only_ours(subject, text, html)


def _other_contexts():
    due = date(2026, 6, 1)
    request = SimpleNamespace(
        reference="DSR-2026-00001", name=EVIL["name"], email="person@example.org"
    )
    base = settings.DSR_BASE_URL
    task = SimpleNamespace(owner_email="owner@example.org")
    return {
        "digest": {
            "window": 3,
            "overdue": [
                SimpleNamespace(
                    reference="DSR-2026-00001", due_on=due, days_overdue=2, url=f"{base}/x"
                )
            ],
            "due_soon": [],
            "last_chance": [],
            "all_overdue": [],
            "unassigned": [],
        },
        "manual_task": {
            "request": request,
            "system_name": EVIL["role"],
            "due_on": due,
            "action": "erase",
            "instructions": EVIL["reasons"],
            "task_url": f"{base}/tasks/abc",
        },
        "manual_task_reminder": {
            "request": request,
            "system_name": EVIL["role"],
            "due_on": due,
            "task_url": f"{base}/tasks/abc",
        },
        "manual_escalation": {
            "request": request,
            "system_name": EVIL["role"],
            "due_on": due,
            "task": task,
            "case_url": f"{base}/staff/case/DSR-2026-00001/",
        },
        "transmission": {
            "request": request,
            "transmission": SimpleNamespace(
                recipient_name=RECIPIENT, expires_at=timezone.now() + timedelta(days=7)
            ),
            "download_url": f"{base}/t/abc",
        },
        "staff_invitation": {"link": f"{base}/accounts/staff-invitation/abc/", "hours": 48},
    }


@pytest.mark.parametrize("template", sorted(letters.NOT_TO_REQUESTERS))
def test_every_letter_to_staff_a_system_owner_or_another_controller_links_only_to_us(template):
    load_demo()
    subject, text, html = render_email(template, _other_contexts()[template], "en")
    assert_only_ours(subject, text, html)


def test_every_kind_of_e_mail_is_covered():
    kinds = {p.name.removesuffix("_message.txt") for p in letters.EMAILS.glob("*_message.txt")}
    assert kinds == set(letters.TO_REQUESTERS) | letters.NOT_TO_REQUESTERS


def test_the_sent_e_mail_links_only_to_the_portal(outbox):
    load_demo()
    context = _other_contexts()["transmission"]
    send_email(template="transmission", to="them@example.org", context=context, language="en")
    (message,) = outbox.messages if hasattr(outbox, "messages") else outbox
    html = message.alternatives[0][0]
    assert_only_ours(message.subject, message.body, html)
    assert "Neue Cloud evil[.]example GmbH" in message.body
    assert f'<a href="{settings.DSR_BASE_URL}/t/abc">' in html


def test_defanged_text_keeps_our_links_and_the_configured_ones():
    base = settings.DSR_BASE_URL
    text = f"Go to {base}/r/abc. Not https://evil.example/x, www.ldi.nrw.de or a@b.example."
    assert defang(text, allowed={"www.ldi.nrw.de"}) == (
        f"Go to {base}/r/abc. Not hxxps[:]//evil[.]example/x, www.ldi.nrw.de or a@b[.]example."
    )
    assert defang("javascript:alert(1) evil.example") == "javascript[:]alert(1) evil[.]example"


@pytest.mark.parametrize(
    "name", ["evil.example", "Erika (shop.evil.example)", "x@evil.example", "www.x", "http://a"]
)
def test_a_name_with_a_web_address_is_refused_at_intake(name):
    load_demo()
    form = RequesterForm(data={"requester": "myself", "email": "a@example.org", "name": name})
    assert not form.is_valid()
    assert "name" in form.errors
    agent = RequesterForm(data={"requester": "agent", "agent_name": name})
    agent.is_valid()
    assert "agent_name" in agent.errors


@pytest.mark.parametrize("name", ["Erika Mustermann", "J.R.R. Tolkien", "Anna-Lena O'Brien"])
def test_an_ordinary_name_is_accepted(name):
    load_demo()
    form = RequesterForm(data={"requester": "myself", "email": "a@example.org", "name": name})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("text", ["a" * 50_000, "a-" * 25_000, "a." * 25_000, "1" * 50_000])
def test_defanging_long_text_takes_linear_time(text):
    import time

    started = time.monotonic()
    defang(text)
    assert time.monotonic() - started < 1.0
