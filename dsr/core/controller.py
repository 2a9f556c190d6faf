"""Reading the controller's details (seeding them from the environment the first time)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from dsr.models import Controller, Matter, SubjectRequest, SupervisoryAuthority


def matter_of(text: str) -> str:
    """A ``Matter`` from a configured value: its key, or the old free text that named it
    ("telecommunications contracts"); empty for the default authority."""
    value = text.strip().lower()
    if value in Matter.values:
        return value
    if "telecom" in value or "telekom" in value:
        return Matter.TELECOMMUNICATIONS
    if "post" in value:
        return Matter.POSTAL
    if value:
        raise ValueError(f"unknown competence {text!r}: use one of {', '.join(Matter.values)}")
    return ""


def parse_authorities(spec: str) -> list[dict[str, str]]:
    """``name|address|website|matter`` entries separated by ``;;`` (see .env.example)."""
    authorities = []
    for entry in filter(None, (part.strip() for part in spec.split(";;"))):
        name, address, website, matter = ([*entry.split("|"), "", "", ""])[:4]
        authorities.append(
            {
                "name": name.strip(),
                "address": address.strip().replace("\\n", "\n"),
                "website": website.strip(),
                "matter": matter_of(matter),
            }
        )
    return authorities


def competent_authority(request: SubjectRequest) -> SupervisoryAuthority | None:
    """The one authority competent for this request: the one for its matter if the register
    names one, else the default one (no matter). None if neither is configured: then no
    letter may claim an authority is competent for the request."""
    authorities = supervisory_authorities()  # in their order: the first wins
    for wanted in ([request.matter] if request.matter else []) + [""]:
        for authority in authorities:
            if authority.matter == wanted:
                return authority
    return None


# The controller as read once in the current web request (``OncePerRequest``) or worker task
# (``read_once`` around every task, dsr/celery.py): a page or an e-mail asks for it many times
# (middleware, context processor, intake, letters); elsewhere (commands) every call reads it.
_in_request: ContextVar[dict[str, Any] | None] = ContextVar("controller", default=None)


def get_controller() -> Controller:
    memo = _in_request.get()
    if memo is not None and "controller" in memo:
        return cast(Controller, memo["controller"])
    controller = Controller.objects.order_by("pk").first()
    if controller is None:
        try:
            controller = seed_controller(settings.DSR_CONTROLLER)
        except IntegrityError:  # another process seeded it first
            controller = Controller.objects.order_by("pk").first() or seed_controller(
                settings.DSR_CONTROLLER
            )
    if memo is not None:
        memo["controller"] = controller
    return controller


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block the controller's details are read at most once."""
    token = _in_request.set({})
    try:
        yield
    finally:
        _in_request.reset(token)


def supervisory_authorities() -> list[SupervisoryAuthority]:
    """The controller's authorities in their order (read once, like the controller)."""
    memo = _in_request.get()
    if memo is not None and "authorities" in memo:
        return list(memo["authorities"])
    authorities = list(get_controller().authorities.all())
    if memo is not None:
        memo["authorities"] = authorities
    return list(authorities)


class OncePerRequest:
    """Middleware: the controller's details are read at most once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with read_once():
            return self.get_response(request)


@transaction.atomic
def seed_controller(values: dict[str, Any], *, replace: bool = False) -> Controller:
    """Create the controller (or, with ``replace``, overwrite it) from plain values."""
    fields = {k: v for k, v in values.items() if k != "authorities"}
    controller = Controller.objects.order_by("pk").first()
    if controller is None:
        # A fixed key: two processes seeding at once cannot create two controllers.
        controller = Controller(pk=1, **fields)
    elif replace:
        for key, value in fields.items():
            setattr(controller, key, value)
    else:
        return controller
    memo = _in_request.get()
    if memo is not None:
        memo.clear()  # changed in this request: read again
    # The key is fixed, so uniqueness is the database's to check: a second process seeding at
    # the same moment gets an IntegrityError (handled by get_controller), not a ValidationError.
    controller.full_clean(validate_unique=False)
    controller.save()
    spec = values.get("authorities", "")
    authorities = parse_authorities(spec) if isinstance(spec, str) else list(spec)
    if authorities:
        controller.authorities.all().delete()
        for position, authority in enumerate(authorities):
            SupervisoryAuthority.objects.create(
                controller=controller, position=position, **authority
            )
    return controller
