"""Messages to requesters: queued on commit with ids only, rendered and sent in the worker.

What a letter adds to its context, and what must follow once it went out, are connected to
``letter_context`` and ``letter_sent`` in one place (``dsr.receivers``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.dispatch import Signal
from django.urls import reverse
from django.utils.functional import Promise, lazy

from dsr.core import challenges, taskqueue
from dsr.core.clock import clock_for
from dsr.core.controller import competent_authority
from dsr.core.files import Upload, read_file, store_upload
from dsr.core.mail import letter_pdf, postal_address, render_email, send_letter
from dsr.core.tokens import request_list_token, status_token, transmission_token
from dsr.models import (
    ChallengePurpose,
    Channel,
    FileKind,
    SentLetter,
    SubjectRequest,
    Transmission,
    TransmissionState,
    VerificationChallenge,
)
from dsr.rights import RIGHTS, Right

SEND_TASK = "dsr.tasks.send_request_email"
# The one letter that goes not to the requester but to the controller they asked us to send
# their data to (Art. 20(2)); ``extra`` names the transmission by id.
TRANSMISSION_TEMPLATE = "transmission"
# Letters to an agent that speak of "the person you act for" themselves; every other letter
# to an agent says above its signature that "you" and "your data" mean that person.
AGENT_WORDED = frozenset({"received", "verified"})
# The link to all the requests answered at the requester's address, sent on their asking; it
# goes with their latest request (in its language) and is kept on that request's case page.
REQUEST_LIST_TEMPLATE = "request_list"

# Sent in the worker before a letter is rendered (kwargs: request, template); each receiver
# returns what it adds to the letter's context (a refusal's reasons, a completion's outcome).
letter_context = Signal()
# Sent once a letter went out, or could not go because the request has no e-mail address and
# the officer posts its PDF copy (kwargs: request, template): what waits for the letter goes on.
letter_done = Signal()


def send_to_requester(
    request: SubjectRequest,
    template: str,
    challenge: VerificationChallenge | None = None,
    **extra: Any,
) -> None:
    """Owe one e-mail (and letter) to the requester, in the caller's transaction: it is sent
    after the commit, and again by the sweep if that was lost. Ids only, so no personal data
    travels through the broker or sits in the outbox row."""
    challenge_id = challenge.pk if challenge else None
    taskqueue.owe(
        SEND_TASK,
        request.pk,
        template,
        challenge_id,
        extra or None,
        label=template,
        request_id=request.pk,
    )


# Notices that are letters too (a PDF copy the requester can keep or print).
LETTERS = frozenset(
    {
        "verified",
        "info_requested",
        "refused",
        "extended",
        "expired",
        "agent_rejected",
        "evidence_rejected",
        "fee_requested",
        "completed",
        "forwarded",
    }
)


def _url(name: str, *args: str) -> str:
    return str(settings.DSR_BASE_URL) + reverse(name, args=args)


def _joined(labels: Sequence[Promise]) -> str:
    return ", ".join(str(label) for label in labels)


# Lazy: the context is built before the letter's language is switched on (``render_email``).
joined = lazy(_joined, str)


def request_context(request: SubjectRequest) -> dict[str, Any]:
    """What every letter may use. Texts stay lazy (translated when the letter is rendered, in
    the request's language), never English strings fixed here."""
    clock = clock_for(request)
    labels = [RIGHTS[Right(r)].right.label for r in request.rights]
    return {
        "request": request,
        "rights": labels,
        "rights_text": joined(labels),
        "received_on": request.received_on,
        "due_on": request.due_on,
        "explanation": clock.explain(request.language),
        "status_url": _url("dsr:status", status_token(request)),
        # Exactly one: the authority competent for this request (LEGAL.md §2).
        "authority": competent_authority(request),
        "paused": request.paused,
        "last_question": request.messages.filter(awaits_answer=True).last(),
        "extension_reasons": request.events.filter(kind="extended")
        .values_list("reason", flat=True)
        .first(),
    }


def letter_context_for(
    request: SubjectRequest, template: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a letter is rendered from: the request's context and what the receivers of
    ``letter_context`` add (a refusal's reasons, a completion's outcome)."""
    context = request_context(request) | (extra or {})
    if template == REQUEST_LIST_TEMPLATE and request.answer_email:
        # The list of everything answered at the address this letter goes to.
        context["list_url"] = _url(
            "dsr:request_list_open", request_list_token(request.answer_email)
        )
        context["list_days"] = settings.DSR_REQUEST_LIST_LINK_DAYS
    for _receiver, added in letter_context.send(
        sender=SubjectRequest, request=request, template=template, extra=extra
    ):
        context |= cast(dict[str, Any], added or {})
    return context


def _transmission(request: SubjectRequest, extra: dict[str, Any] | None) -> Transmission | None:
    return Transmission.objects.filter(
        pk=int((extra or {}).get("transmission") or 0),
        request=request,
        state=TransmissionState.SENT,
        recipient_email__gt="",
    ).first()


def _without_link(text: str, link: str | None) -> str:
    return text.replace(link, "[link]") if link else text


def deliver(
    request_id: int,
    template: str,
    challenge_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Send one e-mail; False if there is nothing (more) to send. Safe to run twice: a
    challenge's code is sent once, then wiped."""
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None:
        return False
    if request.channel == Channel.OPENDSR:
        # A controller's request: we are its processor, and it answers the person; what we
        # would tell them reaches it as the OpenDSR status (dsr.services.opendsr_inbound).
        letter_done.send(sender=SubjectRequest, request=request, template=template)
        return False
    context = letter_context_for(request, template, extra)
    to = request.answer_email
    challenge = None
    if challenge_id is not None:
        challenge = VerificationChallenge.objects.filter(pk=challenge_id).first()
        secret = challenges.take_secret(challenge) if challenge else None
        if challenge is None or secret is None or challenge.superseded:
            return False
        to = challenge.sent_to
        context["code"] = secret.code
        context["expires_at"] = challenge.expires_at
        if challenge.purpose == ChallengePurpose.VERIFY:
            context["verify_url"] = _url("dsr:verify_link", secret.token)
        elif challenge.purpose == ChallengePurpose.CONFIRM_AGENT:
            context["confirm_url"] = _url("dsr:confirm_agent", secret.token)
        elif challenge.purpose == ChallengePurpose.STATUS_ACCESS:
            context["open_url"] = _url("dsr:open_status", secret.token)
    if template == TRANSMISSION_TEMPLATE:
        transmission = _transmission(request, extra)
        if transmission is None:
            return False
        to = transmission.recipient_email
        context["transmission"] = transmission
        context["download_url"] = _url(
            "dsr:transmission_download", transmission_token(transmission)
        )
    if to and to == request.agent_email and template not in AGENT_WORDED:
        context["to_agent"] = True  # the signature says whom "you" and "your data" mean
    letter = f"{request.reference}-{template}.pdf" if template in LETTERS else ""
    if not to and not letter:
        # No address: what waits for the message goes on (there is no letter to post).
        letter_done.send(sender=SubjectRequest, request=request, template=template)
        return False
    sent = send_letter(
        template=template,
        to=to,
        context=context,
        language=request.language,
        letter=letter,
        addressee=postal_address(request) if template != TRANSMISSION_TEMPLATE else (),
    )
    SentLetter.objects.create(
        request=request,
        template=template,
        to=to,
        subject=sent.subject,
        # Never keep a one-time code, nor the working link a recipient downloads with.
        body=""
        if challenge is not None
        else _without_link(
            _without_link(sent.text, context.get("download_url")), context.get("list_url")
        ),
        with_pdf=sent.pdf is not None,
        pdf=store_upload(request=request, kind=FileKind.LETTER, upload=Upload(sent.pdf))
        if sent.pdf is not None
        else None,
    )
    if not to:
        # No address: the officer posts the PDF copy; what waits for the letter goes on.
        letter_done.send(sender=SubjectRequest, request=request, template=template)
        return False
    if challenge is not None:
        challenges.mark_sent(challenge)
    letter_done.send(sender=SubjectRequest, request=request, template=template)
    return True


def letter_copy(letter: SentLetter) -> bytes:
    """A letter's PDF copy as it was attached or is to be posted. Letters sent before the
    copies were kept are set again from the text that was sent, dated the day it went out."""
    if letter.pdf is not None and letter.pdf.deleted_at is None:
        return read_file(letter.pdf)
    request = letter.request
    return letter_pdf(
        letter.subject,
        letter.body,
        request.language,
        addressee=postal_address(request),
        dated=letter.sent_at,
    )


@dataclass(frozen=True)
class Draft:
    """An owed e-mail rendered as ``deliver`` would send it now, not sent (for a preview)."""

    template: str
    to: str  # blank: the request has no e-mail address and the officer posts the letter
    subject: str
    text: str
    language: str
    with_pdf: bool
    # The text with the links we sign in it as "[link]": a signed link carries the second it
    # was made, so two renderings of the same letter differ there and nowhere else.
    unlinked: str = ""


def draft(
    request_id: int,
    template: str,
    challenge_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Draft | None:
    """The e-mail an owed delivery of ``deliver`` stands for, rendered but not sent. None for
    one that carries a one-time code (its secret is taken only when it goes) or has no one to
    go to. The link a recipient controller downloads with is shown as "[link]"."""
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if request is None or challenge_id is not None:
        return None
    context = letter_context_for(request, template, extra)
    to = request.answer_email
    if template == TRANSMISSION_TEMPLATE:
        transmission = _transmission(request, extra)
        if transmission is None:
            return None
        to = transmission.recipient_email
        context["transmission"] = transmission
        context["download_url"] = "[link]"
    if to and to == request.agent_email and template not in AGENT_WORDED:
        context["to_agent"] = True  # as ``deliver`` words it
    subject, text, _html = render_email(template, context, request.language)
    unlinked = text
    for key, value in context.items():
        if key.endswith("_url") and key != "base_url" and isinstance(value, str) and value:
            unlinked = unlinked.replace(value, "[link]")
    return Draft(
        template=template,
        to=to,
        subject=subject,
        text=text,
        language=request.language,
        with_pdf=template in LETTERS,
        unlinked=unlinked,
    )
