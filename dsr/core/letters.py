"""The privacy admin's letter texts: the one in use, and the values its placeholders get
(the rules for what a text may contain are in ``dsr.placeholders``)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop

from dsr import placeholders
from dsr.core.clock import today
from dsr.core.controller import competent_authority, get_controller
from dsr.models import SubjectRequest
from dsr.models.letters import LetterTemplate
from dsr.placeholders import DETAILS
from dsr.rights import Right


def override(kind: str, language: str) -> LetterTemplate | None:
    return LetterTemplate.objects.filter(kind=kind, language=language, active=True).first()


def values(kind: str, context: dict[str, Any]) -> dict[str, str]:
    """The variables' text, rendered by the portal's own templates (called in the language)."""
    request = context["request"]

    def date(value: Any) -> str:
        return formats.date_format(value, "DATE_FORMAT") if value else ""

    result = {
        "reference": request.reference,
        "received_on": date(context.get("received_on")),
        "due_on": date(context.get("due_on")),
        "rights": str(context.get("rights_text", "")),
        "status_url": str(context.get("status_url", "")),
        "controller_name": context["controller"].name,
        "requester_name": request.name or "",
        "signature": render_to_string("emails/_signature.txt", context).strip(),
        "remedies": render_to_string("emails/_remedies.txt", context).strip(),
    }
    if kind in DETAILS:
        result["details"] = render_to_string(f"emails/_details_{kind}.txt", context).strip()
    return result


# The portal's own letters, written with the admin's placeholders: what a new text starts from.
# The sentences are the built-in templates' own (``templates/emails/<kind>_message.txt``), so
# they come translated; the parts the portal writes per request are the variables.
_AS_PLACEHOLDERS = {
    "reference": "{{ reference }}",
    "received": "{{ received_on }}",
    "due": "{{ due_on }}",
}
_DEFAULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "verified": (
        gettext_noop("Request %(reference)s confirmed"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "thank you for confirming your request %(reference)s, received on "
                "%(received)s. We are now working on it."
            ),
            gettext_noop("We will answer by %(due)s at the latest."),
            "",
            gettext_noop("You can follow your request here:"),
            "{{ status_url }}",
            "",
            "{{ signature }}",
        ),
    ),
    "info_requested": (
        gettext_noop("We need information for request %(reference)s"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "to continue with your request %(reference)s we need the following from you:"
            ),
            "",
            "{{ details }}",
            "",
            "{{ signature }}",
        ),
    ),
    "extended": (
        gettext_noop("More time needed for request %(reference)s"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "we need more time to answer your request %(reference)s. Under Art. 12(3) "
                "GDPR we are extending the deadline by two months, to %(due)s."
            ),
            "",
            "{{ details }}",
            "",
            "{{ remedies }}",
            "",
            "{{ signature }}",
        ),
    ),
    "refused": (
        gettext_noop("Request %(reference)s: we cannot do what you asked"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop("we cannot do what you asked in request %(reference)s."),
            "",
            "{{ details }}",
            "",
            "{{ remedies }}",
            "",
            "{{ signature }}",
        ),
    ),
    "completed": (
        gettext_noop("Request %(reference)s completed"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop("we have completed your request %(reference)s. This is what we did:"),
            "{{ details }}",
            "",
            "{{ signature }}",
        ),
    ),
    "answer_ready": (
        gettext_noop("Your answer to request %(reference)s is ready"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "our answer to your request %(reference)s is ready. For your protection it is "
                "not attached: open your request's page and download it there (we send you a "
                "code first)."
            ),
            "{{ status_url }}",
            "{{ details }}",
            "",
            "{{ signature }}",
        ),
    ),
    "expired": (
        gettext_noop("Request %(reference)s closed: we could not confirm it came from you"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "on %(received)s we received request %(reference)s in your name and asked you "
                "to confirm it by e-mail. We have not received the confirmation, so we cannot "
                "tell that the request comes from the person the data is about (Art. 11(2) and "
                "12(2) GDPR). We have therefore closed it without acting on it."
            ),
            "",
            gettext_noop(
                "If you did make the request, simply make it again, or send us any information "
                "that helps us identify you. If you did not make it, you do not need to do "
                "anything."
            ),
            "{{ remedies }}",
            "",
            "{{ signature }}",
        ),
    ),
    "agent_rejected": (
        gettext_noop("Request %(reference)s was stopped"),
        (
            gettext_noop("Hello,"),
            "",
            gettext_noop(
                "the person you named has told us that they did not authorise you to make "
                "request %(reference)s for them. We have therefore stopped it and will not "
                "disclose their data."
            ),
            "{{ remedies }}",
            "",
            "{{ signature }}",
        ),
    ),
}


def _line(text: str) -> str:
    if not text or text.startswith("{{"):
        return text
    translated = gettext(text)
    return translated % _AS_PLACEHOLDERS if "%(" in text else translated


def default_text(kind: str, language: str) -> tuple[str, str]:
    """The portal's own subject and text of a letter in ``language``, with placeholders."""
    subject, lines = _DEFAULTS[kind]
    with translation.override(language):
        return _line(subject), "\n".join(_line(line) for line in lines) + "\n"


def sample_context(kind: str, language: str) -> dict[str, Any]:
    """A made-up request for the admin's preview: what the portal writes per request is
    marked as such, in the letter's language."""
    controller = get_controller()
    received = today() - timedelta(days=3)
    request = SubjectRequest(
        reference="DSR-0000-00042",
        name="Alex Example",
        email="alex@example.org",
        language=language,
        received_on=received,
    )
    with translation.override(language):
        officer_words = gettext("[Here: what the officer writes for this request.]")
        context: dict[str, Any] = {
            "request": request,
            "controller": controller,
            "received_on": received,
            "due_on": received + timedelta(days=30),
            "rights_text": str(Right.ACCESS.label),
            "status_url": f"{settings.DSR_BASE_URL}/r/…/",
            "authority": competent_authority(request),
            "reasons": officer_words,
            "ground": gettext("[Here: the ground the officer chose.]"),
            "extension_reasons": officer_words,
            "last_question": {"body": officer_words},
            "done": [{"system": gettext("Customer database"), "action": "export"}],
        }
    return context


def preview(kind: str, language: str, *, subject: str, body: str) -> tuple[str, str]:
    """The admin's subject and text as a requester would read them (a sample request)."""
    context = sample_context(kind, language)
    controller = context["controller"]
    with translation.override(language), timezone.override(controller.time_zone):
        filled = values(kind, context)
        return (
            " ".join(placeholders.fill(subject, filled).split()),
            placeholders.fill(body, filled).strip() + "\n",
        )
