"""One access request over Salesforce, Stripe and Zendesk (their fakes) and a SQL system,
through Redis and a real worker: all four systems' data is gathered."""

import io
import json
import zipfile

import pytest

from connectors import registry
from connectors.base import withheld
from dsr.exports.package import read_package
from dsr.models import JobStatus, Status
from dsr.services import answers
from tests.connectors import sources
from tests.connectors.test_fanout import exported, settled, verified
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.zendesk import FakeZendesk
from tests.fixtures.celery import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_an_access_request_gathers_data_from_four_systems(
    celery_worker, settings, tmp_path, outbox
):
    chat_db = sources.database_url("sqlite", "e2e_chat", tmp_path)
    sources.seed(chat_db)
    with FakeSalesforce() as crm, FakeStripe() as billing, FakeZendesk() as support:
        contact = crm.add("Contact", Email=sources.SUBJECT, LastName="Mustermann")
        customer = billing.add_customer(sources.SUBJECT, "Erika Mustermann", invoices=2)
        user = support.add_user(sources.SUBJECT, "Erika Mustermann")
        agent = support.add_user("sam@support.example", "Sam Support", role="agent")
        support.add_ticket(
            user,
            "Invoice question",
            [(user, "Why two invoices?"), (agent, "Sam Support here: one was a credit note.")],
        )
        oauth = {"client_id": "dsr", "client_secret": "s3cret"}
        settings.DSR_CONNECTORS = {
            "salesforce": {
                "BACKEND": "connectors.backends.salesforce.SalesforceConnector",
                "OPTIONS": {
                    "base_url": crm.url,
                    "token_url": f"{crm.url}/services/oauth2/token",
                    **oauth,
                },
            },
            "stripe": {
                "BACKEND": "connectors.backends.stripe_billing.StripeConnector",
                "OPTIONS": {"api_key": "sk_test_dsr", "api_base": billing.url},
            },
            "zendesk": {
                "BACKEND": "connectors.backends.zendesk.ZendeskConnector",
                "OPTIONS": {
                    "base_url": support.url,
                    "token_url": f"{support.url}/oauth/tokens",
                    **oauth,
                },
            },
            "chat": {
                "BACKEND": "connectors.backends.sql.SQLConnector",
                "OPTIONS": {"url": chat_db, "mapping": sources.CHAT_MAPPING},
            },
        }
        registry.reset()
        try:
            item = settled(verified(outbox))
            wait_for(lambda: item.packages.exists())
        finally:
            registry.reset()
    assert item.status == Status.IN_REVIEW
    exports = {j.system: exported(j) for j in item.jobs.filter(action="export")}
    assert {j.status for j in item.jobs.all()} == {JobStatus.SUCCEEDED}
    assert [r["Id"] for c, r in exports["salesforce"] if c == "contacts"] == [contact]
    assert [r["id"] for c, r in exports["stripe"] if c == "customer"] == [customer]
    assert len([r for c, r in exports["stripe"] if c == "invoices"]) == 2
    token = withheld("third_party")  # the agent's name, as the connector leaves it
    assert [r["body"] for c, r in exports["zendesk"] if c == "comments"] == [
        "Why two invoices?",
        f"{token} here: one was a credit note.",
    ]
    assert len(exports["chat"]) == 4

    # The person reads why something is missing, not a vendor's placeholder.
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(item.packages.get()))))
    comments = archive.read("data/zendesk/comments.csv").decode()
    assert "[withheld: another person's data] here: one was a credit note." in comments
    assert token not in comments
    assert "Sam Support" not in archive.read("data.json").decode()
    assert json.loads(archive.read("manifest.json"))["withheld"] == ["third_party"]
    assert answers.answer_context(item)["withheld"][0]["marker"] == (
        "[withheld: another person's data]"
    )
