"""No data subject in the logs: a request through intake, a real worker process with the SQL
backend and the fake Salesforce, Stripe and Zendesk, the package and the download leave no
e-mail address, name, link token or code of the subject in any log output (issue 16, item 5)."""

import io
import logging
import logging.config
import re
from typing import Any

import pytest
import yaml
from django.conf import settings as django_settings
from django.urls import reverse

from connectors import registry
from dsr.core.tokens import status_token
from dsr.logmask import MaskPersonalData, mask
from dsr.models import AnswerPackage, Status, SubjectRequest
from dsr.services import answers
from tests.connectors import sources
from tests.factories import make_officer
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.zendesk import FakeZendesk
from tests.fixtures.celery import wait_for
from tests.helpers import code_in

NAME = ("Erika", "Mustermann")
TOKEN_IN_LINK = re.compile(r"/(?:r/verify|r/confirm|r/open|r|t|f|o|tasks)/([^/\s\"'<>]+)")


def test_the_mask_hides_addresses_link_tokens_and_codes():
    token = "eyJyIjoxfQ:1vQz3x:Zk3n0v3W4xN2b2xqYl9hbHRlcm5hdGl2ZV9zaWc"
    line = (
        f"GET https://api.example/v1/customers?email=erika%40example.org&x=1 for a@b.example;"
        f" /r/{token}/ /r/verify/{token}/ /r/open/opaque1/ /t/abc.def/ /tasks/xyz/ code 482913"
        " ref DSR-2026-00001"
        f" signed {token} at 2026-12-03 13:01:27; succeeded in 0.123456s; code: 654321."
    )
    masked = mask(line)
    secrets = ("erika", "a@b.example", token, "opaque1", "abc.def", "xyz", "482913", "654321")
    for secret in secrets:
        assert secret not in masked
    assert "DSR-2026-00001" in masked
    assert "2026-12-03 13:01:27" in masked
    assert "/r/verify/[…]/" in masked
    assert "0.123456s" in masked


def test_a_record_is_masked_with_its_arguments_and_its_exception():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "to %s: %s", ("a@b.example",), None)
    record.args = ("a@b.example", "code 123456")
    try:
        raise ValueError("no customer erika@example.org")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    MaskPersonalData().filter(record)
    text = logging.Formatter().format(record)
    assert "a@b.example" not in text
    assert "123456" not in text
    assert "erika@" not in text
    assert "ValueError" in text


def test_every_handler_of_the_production_logging_masks_and_vendors_log_warnings_only():
    config: dict[str, Any] = django_settings.PRODUCTION_LOGGING
    assert all("personal_data" in h.get("filters", []) for h in config["handlers"].values())
    for vendor in ("httpx", "httpcore", "stripe", "urllib3"):
        assert config["loggers"][vendor]["level"] == "WARNING"


@pytest.fixture
def production_logging(caplog):
    """The web side logs as in production; its console goes to a buffer; caplog at DEBUG with
    the mask every production handler has."""
    logging.config.dictConfig(django_settings.PRODUCTION_LOGGING)
    buffer = io.StringIO()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler is not caplog.handler:
            handler.setStream(buffer)
    masking = MaskPersonalData()
    caplog.handler.addFilter(masking)
    caplog.set_level(logging.DEBUG)
    yield buffer
    caplog.handler.removeFilter(masking)
    logging.config.dictConfig(django_settings.LOGGING)
    for name in [*django_settings.VENDOR_LOGGERS, "django", "django.server"]:
        logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger(name).propagate = True
        logging.getLogger(name).handlers = []


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_subject_in_the_logs_of_web_and_worker(
    worker_process, production_logging, caplog, client, outbox, settings, tmp_path
):
    from dsr.celery import app

    chat_db = sources.database_url("sqlite", "logs_chat", tmp_path)
    sources.seed(chat_db)
    with FakeSalesforce() as crm, FakeStripe() as billing, FakeZendesk() as support:
        crm.add("Contact", Email=sources.SUBJECT, LastName=NAME[1])
        billing.add_customer(sources.SUBJECT, " ".join(NAME), invoices=1)
        user = support.add_user(sources.SUBJECT, " ".join(NAME))
        support.add_ticket(user, "Invoice question", [(user, "Why two invoices?")])
        oauth = {"client_id": "dsr", "client_secret": "s3cret"}
        systems = {
            "salesforce": {
                "backend": "connectors.backends.salesforce.SalesforceConnector",
                "options": {
                    "base_url": crm.url,
                    "token_url": f"{crm.url}/services/oauth2/token",
                    **oauth,
                },
            },
            "stripe": {
                "backend": "connectors.backends.stripe_billing.StripeConnector",
                "options": {"api_key": "sk_test_dsr", "api_base": billing.url},
            },
            "zendesk": {
                "backend": "connectors.backends.zendesk.ZendeskConnector",
                "options": {
                    "base_url": support.url,
                    "token_url": f"{support.url}/oauth/tokens",
                    **oauth,
                },
            },
            "chat": {
                "backend": "connectors.backends.sql.SQLConnector",
                "options": {"url": chat_db, "mapping": sources.CHAT_MAPPING},
            },
        }
        config = tmp_path / "connectors.yaml"
        config.write_text(yaml.safe_dump({"systems": systems}))
        settings.DSR_CONNECTORS_FILE = str(config)
        registry.reset()
        worker = worker_process(DSR_CONNECTORS_FILE=str(config), DSR_TEST_LOGGING="production")
        try:
            app.conf.task_always_eager = True  # the code e-mail is sent here, in the test
            filed = client.post(
                reverse("dsr:intake", args=["access"]),
                {"requester": "myself", "email": sources.SUBJECT, "name": " ".join(NAME)},
            )
            assert filed.status_code == 302, filed.content.decode()
            code = code_in(outbox.last_to(sources.SUBJECT))
            app.conf.task_always_eager = False
            verified = client.post(reverse("dsr:sent"), {"code": code})
            assert verified.status_code == 302
            item = SubjectRequest.objects.get()
            # Locate + export in the worker, then the package on the exports queue.
            wait_for(lambda: AnswerPackage.objects.filter(request=item).exists(), timeout=120)
            app.conf.task_always_eager = True
            package = AnswerPackage.objects.get(request=item)
            officer, _ = make_officer()
            answers.release(package, officer=officer)
            assert SubjectRequest.objects.get(pk=item.pk).status == Status.COMPLETED
            page = client.get(verified["Location"])
            assert page.status_code == 200
            download = client.get(reverse("dsr:download", args=[status_token(item), package.pk]))
            assert download.status_code == 200
            b"".join(download.streaming_content)
        finally:
            app.conf.task_always_eager = True
            registry.reset()
        # The worker's and the fakes' record of what was asked: the vendors were called.
        assert crm.log
        assert billing.log
        assert support.log
    assert worker.stop() is None
    output = "\n".join(
        [worker.log_path.read_text(errors="replace"), production_logging.getvalue(), caplog.text]
    )
    assert "ready." in output  # the worker's log was captured
    tokens = {status_token(item), verified["Location"].rstrip("/").rsplit("/", 1)[-1]}
    for message in outbox.messages:
        tokens |= set(TOKEN_IN_LINK.findall(str(message.body)))
    secrets = {
        sources.SUBJECT,
        sources.SUBJECT.replace("@", "%40"),
        sources.SUBJECT.split("@")[0],
        *NAME,
        code,
        *{t for t in tokens if len(t) > 8},
    }
    found = sorted(secret for secret in secrets if secret in output)
    assert found == [], output[-4000:]


@pytest.mark.parametrize("text", ["x" * 50_000, "a-" * 25_000, "1" * 50_000, "%40" * 15_000])
def test_masking_a_long_record_takes_linear_time(text):
    import time

    started = time.monotonic()
    mask(text)
    assert time.monotonic() - started < 1.0
