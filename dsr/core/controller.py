"""Reading the controller's details (seeding them from the environment the first time)."""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from dsr.models import Controller, SupervisoryAuthority


def parse_authorities(spec: str) -> list[dict[str, str]]:
    """``name|address|website|competence`` entries separated by ``;;`` (see .env.example)."""
    authorities = []
    for entry in filter(None, (part.strip() for part in spec.split(";;"))):
        name, address, website, competence = ([*entry.split("|"), "", "", ""])[:4]
        authorities.append(
            {
                "name": name.strip(),
                "address": address.strip().replace("\\n", "\n"),
                "website": website.strip(),
                "competence": competence.strip(),
            }
        )
    return authorities


def get_controller() -> Controller:
    controller = Controller.objects.order_by("pk").first()
    if controller is not None:
        return controller
    try:
        return seed_controller(settings.DSR_CONTROLLER)
    except IntegrityError:  # another process seeded it first
        return Controller.objects.order_by("pk").first() or seed_controller(settings.DSR_CONTROLLER)


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
    controller.full_clean()
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
