"""Start the fake Salesforce, Stripe and Zendesk APIs (the ones the tests use) for a demo.

They hold a few people, the demo data subject among them, and print the connector
configuration that points the portal at them. Development only: they keep everything in memory.
"""

import time
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dsr.demo_systems import DEMO_SUBJECT, SAAS_PORT, saas_systems


class Command(BaseCommand):
    help = "Run fake Salesforce, Stripe and Zendesk APIs on 127.0.0.1 for the demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port", type=int, default=SAAS_PORT, help="first of three ports (0: any free ports)"
        )
        parser.add_argument("--write", help="write the connector YAML to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The fake services are for development only.")
        try:
            from tests.fakes.salesforce import FakeSalesforce
            from tests.fakes.stripe_api import FakeStripe
            from tests.fakes.zendesk import FakeZendesk
        except ImportError as exc:
            raise CommandError("Run this from the project folder (it uses tests/fakes).") from exc
        port = options["port"]
        crm, billing, support = FakeSalesforce(page_size=200), FakeStripe(), FakeZendesk()
        ports = (0, 0, 0) if port == 0 else (port, port + 1, port + 2)  # 0: any free ports
        for server, server_port in zip((crm, billing, support), ports, strict=True):
            server.start(server_port)
        seed(crm, billing, support)
        config = {"systems": saas_systems(crm.url, billing.url, support.url)}
        text = yaml.safe_dump(config, sort_keys=False)
        if options["write"]:
            with open(options["write"], "w", encoding="utf-8") as handle:
                handle.write(text)
        self.stdout.write(self.style.SUCCESS("Fake SaaS APIs running. Connector configuration:"))
        self.stdout.write(text)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            for server in (crm, billing, support):
                server.stop()


def seed(crm: Any, billing: Any, support: Any) -> None:
    individual = crm.add(
        "Individual", HasOptedOutProcessing=False, HasOptedOutSolicit=False, ShouldForget=False
    )
    contact = crm.add(
        "Contact",
        Email=DEMO_SUBJECT,
        FirstName="Erika",
        LastName="Mustermann",
        Phone="+49 221 1234567",
        IndividualId=individual,
    )
    crm.add("Case", ContactId=contact, Subject="Cloud server unreachable", Status="Closed")
    crm.add("Task", WhoId=contact, Subject="Call back about the renewal")
    crm.add("Contact", Email="max.mueller@example.org", LastName="Müller")
    billing.add_customer(DEMO_SUBJECT, "Erika Mustermann", invoices=3, charges=3)
    billing.add_customer("max.mueller@example.org", "Max Müller", invoices=1)
    user = support.add_user(DEMO_SUBJECT, "Erika Mustermann")
    agent = support.add_user("service.desk@t-systems.example", "Service Desk", "agent")
    support.add_ticket(
        user,
        "Invoice question",
        [
            (user, "Why did I receive two invoices in March?"),
            (agent, "One was a credit note; sorry for the confusion."),
        ],
    )
