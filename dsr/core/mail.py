"""E-mails to requesters: subject + text + HTML, rendered in the request's language."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dsr import placeholders
from dsr.core import inert, letters, taskqueue
from dsr.core.controller import get_controller, supervisory_authorities
from dsr.models import ProcessingActivity, Recipient, RequesterType, SubjectRequest


def render_email(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """``emails/<template>_subject.txt`` and ``_message.txt``; the HTML part wraps the text.

    Whatever people typed (a name, a question, an answer) is repeated as inert text: the only
    links in either part are the portal's own (``DSR_BASE_URL``); anything else that looks like
    one is defanged ("evil[.]example"), so no e-mail of ours carries a link we did not write."""
    controller = get_controller()
    # Dates and times in the e-mail are the controller's local ones.
    with translation.override(language), timezone.override(controller.time_zone):
        context = {"controller": controller, "base_url": settings.DSR_BASE_URL, **context}
        edited = letters.override(template, language)
        if edited is not None and placeholders.problems(template, edited.body, required=True):
            # Written before the letter had to carry a part the law requires: the portal's
            # own text goes instead, so nothing required is ever left out.
            edited = None
        if edited is not None:  # the privacy admin's text, variables filled in, nothing run
            filled = letters.values(template, context)
            subject = " ".join(placeholders.fill(edited.subject, filled).split())
            text = placeholders.fill(edited.body, filled).strip() + "\n"
        else:
            subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
            text = render_to_string(f"emails/{template}_message.txt", context).strip() + "\n"
        allowed = _configured(controller, context, edited)
        subject = inert.defang(subject, allowed=allowed)
        text = inert.defang(text, allowed=allowed)
        html = render_to_string(
            "emails/base_message.html",
            {**context, "body": inert.html_from_text(text), "subject": subject},
        )
    return subject, text, html


ADDRESSES = (
    ("request", "email"),
    ("request", "agent_email"),
    ("transmission", "recipient_email"),
    ("task", "owner_email"),
)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _configured(controller: Any, context: dict[str, Any], edited: Any) -> set[str]:
    """The link-like words we wrote: what the privacy admin configured (the controller's
    details, the authorities' websites, the processing register, the admin's own letter text),
    our sender address, and the addresses the portal writes to."""
    values = [settings.DEFAULT_FROM_EMAIL]
    rows: list[Any] = [
        controller,
        *supervisory_authorities(),
        *ProcessingActivity.objects.all(),
        *Recipient.objects.all(),
    ]
    for row in rows:
        for field in row._meta.concrete_fields:
            values += _texts(getattr(row, field.attname))
    if edited is not None:
        values += [edited.subject, edited.body]
    words = inert.configured_words(*values)
    # The addresses the portal itself writes to (checked as addresses before it does): the
    # request's, the other controller's for a transmission, a system owner's.
    for key, field in ADDRESSES:
        value = context.get(key)
        value = value.get(field) if isinstance(value, dict) else getattr(value, field, "")
        if isinstance(value, str) and value:
            words.add(value)
    return words


def send_email(
    *,
    template: str,
    to: str,
    context: dict[str, Any],
    language: str,
    letter: str = "",
    addressee: Sequence[str] = (),
) -> tuple[str, str]:
    """``letter``: also attach the text as a PDF letter under this file name (``addressee``:
    the lines of its address block). Returns the subject and text that were sent."""
    sent = send_letter(
        template=template,
        to=to,
        context=context,
        language=language,
        letter=letter,
        addressee=addressee,
    )
    return sent.subject, sent.text


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    pdf: bytes | None


def send_letter(
    *,
    template: str,
    to: str,
    context: dict[str, Any],
    language: str,
    letter: str = "",
    addressee: Sequence[str] = (),
) -> Letter:
    """Render a message and, with ``letter``, its PDF copy; send it when there is an address
    (without one the officer posts the copy)."""
    subject, text, html = render_email(template, context, language)
    pdf = letter_pdf(subject, text, language, addressee=addressee) if letter else None
    if not to:
        return Letter(subject, text, pdf)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    key = taskqueue.current_key()
    if key:
        # One id per owed e-mail, the same on every attempt: a provider that deduplicates by
        # Message-ID delivers it once, and the case keeps it.
        message.extra_headers["Message-ID"] = message_id(key)
    if pdf is not None:
        message.attach(letter, pdf, "application/pdf")
    message.send()
    if key:
        taskqueue.note_message_id(message.extra_headers["Message-ID"])
    return Letter(subject, text, pdf)


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{key.replace(':', '.')}@{domain}>"


def letter_pdf(
    subject: str,
    text: str,
    language: str,
    *,
    addressee: Sequence[str] = (),
    dated: datetime | None = None,
) -> bytes:
    """The e-mail's text as a letter on the controller's letterhead (WeasyPrint, offline),
    with the address block of a letter that is posted (``addressee``: its lines)."""
    # Imported on first use: loading WeasyPrint costs every process that never renders a PDF.
    from dsr.core import pdf

    controller = get_controller()
    with translation.override(language), timezone.override(controller.time_zone):
        html = render_to_string(
            "reports/letter.html",
            {
                "controller": controller,
                "subject": subject,
                "text": text,
                "addressee": [line for line in addressee if line.strip()],
                "today": dated or timezone.now(),
            },
        )
        return pdf.render(html)


def postal_address(request: SubjectRequest) -> list[str]:
    """The address block for a letter to the data subject: their name and postal address,
    where the request has one (an agent's postal address is never asked for)."""
    if request.requester_type == RequesterType.AGENT or not request.postal_address.strip():
        return []
    lines = [request.name.strip()] if request.name.strip() else []
    return lines + [line.strip() for line in request.postal_address.splitlines() if line.strip()]
