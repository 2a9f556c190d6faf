"""What the controller's marketing e-mails carry so every one offers the objection (Art. 21(2)
and (4) GDPR): the signed one-click link and the List-Unsubscribe headers (RFC 2369, RFC 8058).

The portal sends no marketing itself. The controller's marketing system gets the link per
address from ``objection_url`` (Python), the ``{% marketing_objection_url %}`` template tag
or ``manage.py dsr_marketing_links`` (README, "One-click objection in marketing e-mails").
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from dsr.core.tokens import marketing_objection_token

ONE_CLICK_POST = "List-Unsubscribe=One-Click"


def objection_url(email: str, language: str = "") -> str:
    """The one-click objection link for this address; ``language``: of the letters it causes."""
    token = marketing_objection_token(email, language or settings.LANGUAGE_CODE)
    return str(settings.DSR_BASE_URL) + reverse("dsr:objection_link", args=[token])


def list_unsubscribe_headers(email: str, language: str = "", *, url: str = "") -> dict[str, str]:
    """The headers that let mail programs offer the objection as their own button: they POST
    ``List-Unsubscribe=One-Click`` to the link, which objects at once. ``url``: the link the
    message's text already carries (each call of ``objection_url`` makes a new one)."""
    return {
        "List-Unsubscribe": f"<{url or objection_url(email, language)}>",
        "List-Unsubscribe-Post": ONE_CLICK_POST,
    }


def with_objection_headers(
    message: EmailMessage, *, email: str, language: str = "", url: str = ""
) -> EmailMessage:
    """A marketing e-mail built with Django's mail classes, given the headers for its one
    recipient (``email``: a message to several people needs one per person)."""
    message.extra_headers.update(list_unsubscribe_headers(email, language, url=url))
    return message
