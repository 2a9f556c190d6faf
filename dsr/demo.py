"""Demo data from the seeds' controller (T-Systems International GmbH, Open Telekom Cloud).

Loaded by ``manage.py dsr_demo`` (and so by ``make run``); safe to load again: what exists
is kept, what is missing is added.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import User
from accounts.roles import Role, grant_role
from dsr import demo_systems
from dsr.core.controller import seed_controller
from dsr.demo_register import load_register
from dsr.demo_requests import load_requests
from dsr.models import Controller

DEMO_CONTROLLER = {
    "name": "T-Systems International GmbH",
    "address": "Hahnstraße 43d\n60528 Frankfurt am Main\nGermany",
    "email": "datenschutz@telekom.de",
    "dpo_name": "Dr. Claus D. Ulmer",
    "dpo_contact": "Friedrich-Ebert-Allee 140\n53113 Bonn\nGermany\ndatenschutz@telekom.de",
    "translations": {
        "de": {
            "address": "Hahnstraße 43d\n60528 Frankfurt am Main\nDeutschland",
            "dpo_contact": "Friedrich-Ebert-Allee 140\n53113 Bonn\nDeutschland\n"
            "datenschutz@telekom.de",
        },
        "nl": {
            "address": "Hahnstraße 43d\n60528 Frankfurt am Main\nDuitsland",
            "dpo_contact": "Friedrich-Ebert-Allee 140\n53113 Bonn\nDuitsland\n"
            "datenschutz@telekom.de",
        },
    },
    "country": "DE",
    "subdivision": "NW",
    "time_zone": "Europe/Berlin",
    "authorities": [
        {
            "name": "Die Bundesbeauftragte für den Datenschutz und die Informationsfreiheit (BfDI)",
            "address": "Graurheindorfer Straße 153\n53117 Bonn",
            "website": "https://www.bfdi.bund.de",
            "matter": "telecommunications",
        },
        {
            "name": "Landesbeauftragte für Datenschutz und Informationsfreiheit "
            "Nordrhein-Westfalen (LDI NRW)",
            "address": "Kavalleriestraße 2-4\n40213 Düsseldorf",
            "website": "https://www.ldi.nrw.de",
            "matter": "",
        },
    ],
}

# Published demo credentials: the demo must never run with real data.
DEMO_PASSWORD = "demo-officer-2026"  # noqa: S105
DEMO_STAFF = (
    ("officer@demo.example", "Olivia", "Officer", Role.OFFICER),
    ("officer2@demo.example", "Otto", "Second", Role.OFFICER),  # the second pair of eyes
    ("admin@demo.example", "Adam", "Admin", Role.ADMIN),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    totp_secret: str


def load_full_demo() -> list[DemoLogin]:
    """What `make run` shows: the base below, the source systems and the demo requests."""
    logins = load_demo()
    folder = settings.VAR_DIR / "demo"
    config = demo_systems.build(folder)
    officer, second = (User.objects.get(email=login.email) for login in logins[:2])
    # The demo requests run against the demo systems, whatever else is configured (the
    # registry follows the setting, and both come back afterwards); `make run` points web and
    # worker at the same file through DSR_CONNECTORS_FILE. No e-mails printed while loading.
    with override_settings(
        DSR_CONNECTORS_FILE=str(config), DSR_CONNECTORS={}, DSR_OUTBOX_PRINT=False
    ):
        load_requests(officer, second)
    return logins


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """The controller, the processing register and the staff accounts."""
    if not Controller.objects.exists():
        seed_controller(DEMO_CONTROLLER)
    load_register()
    logins = []
    for email, first, last, role in DEMO_STAFF:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        grant_role(user=user, role=role)
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
        else:
            secret = decrypt(totp.data["secret"])
        logins.append(DemoLogin(email, DEMO_PASSWORD, role.value, secret))
    return logins
