"""The e-mails of a request's life, rendered from ids inside the worker."""

from typing import Any

from django.conf import settings
from django.urls import reverse

from dsr.models import ChallengePurpose, SentLetter, SubjectRequest, VerificationChallenge
from dsr.rights import RIGHTS, Right
from dsr.services import verification
from dsr.services.clock import clock_for
from dsr.services.controller import get_controller
from dsr.services.mail import send_email

# Notices that are letters too (a PDF copy the requester can keep or print).
LETTERS = frozenset(
    {"verified", "info_requested", "refused", "extended", "expired", "agent_rejected", "completed"}
)


def _url(name: str, *args: str) -> str:
    return str(settings.DSR_BASE_URL) + reverse(name, args=args)


def request_context(request: SubjectRequest) -> dict[str, Any]:
    from dsr.services.requests import status_token

    clock = clock_for(request)
    controller = get_controller()
    return {
        "request": request,
        "rights": [RIGHTS[Right(r)].right.label for r in request.rights],
        "rights_text": ", ".join(str(RIGHTS[Right(r)].right.label) for r in request.rights),
        "received_on": request.received_on,
        "due_on": request.due_on,
        "explanation": clock.explain(request.language),
        "status_url": _url("dsr:status", status_token(request)),
        "authorities": list(controller.authorities.all()),
        "paused": request.paused,
        "last_question": request.messages.filter(awaits_answer=True).last(),
        "extension_reasons": request.events.filter(kind="extended")
        .values_list("reason", flat=True)
        .first(),
    }


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
    context = request_context(request) | (extra or {})
    if template == "refused":
        from dsr.services.refusals import refusal_context

        context |= refusal_context(request)
    elif template == "completed":
        from dsr.services.completion import outcome

        context |= outcome(request)
    to = request.answer_email
    challenge = None
    if challenge_id is not None:
        challenge = VerificationChallenge.objects.filter(pk=challenge_id).first()
        secret = verification.take_secret(challenge) if challenge else None
        if challenge is None or secret is None or challenge.superseded:
            return False
        to = challenge.sent_to
        context["code"] = secret.code
        context["expires_at"] = challenge.expires_at
        if challenge.purpose == ChallengePurpose.VERIFY:
            context["verify_url"] = _url("dsr:verify_link", secret.token)
        elif challenge.purpose == ChallengePurpose.CONFIRM_AGENT:
            context["confirm_url"] = _url("dsr:confirm_agent", secret.token)
    if not to:
        if template == "refused":
            _release_lifts(request)  # no address: the officer posts the PDF copy of the letter
        return False
    letter = f"{request.reference}-{template}.pdf" if template in LETTERS else ""
    subject, text = send_email(
        template=template, to=to, context=context, language=request.language, letter=letter
    )
    SentLetter.objects.create(
        request=request,
        template=template,
        to=to,
        subject=subject,
        body="" if challenge is not None else text,  # never keep a one-time code
        with_pdf=bool(letter),
    )
    if challenge is not None:
        verification.mark_sent(challenge)
    if template == "refused":
        _release_lifts(request)  # Art. 18(3): told first, then the restriction is lifted
    return True


def _release_lifts(request: SubjectRequest) -> None:
    from connectors import services as fanout

    fanout.release_held_lifts(request)
