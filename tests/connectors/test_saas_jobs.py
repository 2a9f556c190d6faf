"""For each SaaS backend, through Redis and a real worker: a 5xx storm ends in a failed job
that a later retry completes, and a 429 is retried after its Retry-After."""

import pytest

from connectors import registry
from dsr.models import JobStatus, Status
from dsr.services import jobs
from tests.connectors import sources
from tests.connectors.test_fanout import verified
from tests.factories import make_officer
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.zendesk import FakeZendesk
from tests.fixtures.celery import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
OAUTH = {"client_id": "dsr", "client_secret": "s3cret"}


def salesforce():
    fake = FakeSalesforce()
    fake.add("Contact", Email=sources.SUBJECT, LastName="Mustermann")
    return fake, lambda url: {
        "BACKEND": "connectors.backends.salesforce.SalesforceConnector",
        "OPTIONS": {"base_url": url, "token_url": f"{url}/services/oauth2/token", **OAUTH},
    }


def stripe():
    fake = FakeStripe()
    fake.add_customer(sources.SUBJECT, "Erika Mustermann", invoices=1)
    return fake, lambda url: {
        "BACKEND": "connectors.backends.stripe_billing.StripeConnector",
        "OPTIONS": {"api_key": "sk_test_dsr", "api_base": url},
    }


def zendesk():
    fake = FakeZendesk()
    fake.add_user(sources.SUBJECT, "Erika Mustermann")
    return fake, lambda url: {
        "BACKEND": "connectors.backends.zendesk.ZendeskConnector",
        "OPTIONS": {"base_url": url, "token_url": f"{url}/oauth/tokens", **OAUTH},
    }


@pytest.fixture(params=[salesforce, stripe, zendesk], ids=["salesforce", "stripe", "zendesk"])
def vendor(request, settings):
    fake, config = request.param()
    fake.start()
    settings.DSR_CONNECTORS = {"vendor": config(fake.url)}
    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    settings.DSR_JOB_MAX_ATTEMPTS = 3
    registry.reset()
    yield fake
    registry.reset()
    fake.stop()


def test_a_5xx_storm_fails_the_job_and_a_retry_later_completes_it(celery_worker, vendor, outbox):
    officer, _ = make_officer()
    # The token endpoint answers; the API itself is down.
    path = (
        "/v1"
        if isinstance(vendor, FakeStripe)
        else ("/services/data" if isinstance(vendor, FakeSalesforce) else "/api/v2")
    )
    vendor.fail_next(503, times=3, path=path)
    item = verified(outbox)
    wait_for(lambda: item.jobs.filter(action="locate", status=JobStatus.FAILED).exists())
    locate = item.jobs.get(action="locate")
    assert locate.attempts == 3
    assert item.__class__.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    jobs.retry_job(locate, officer=officer)
    wait_for(lambda: item.__class__.objects.get(pk=item.pk).status == Status.IN_REVIEW)
    assert item.jobs.get(action="export").result["records"] >= 1


def test_a_429_is_retried_after_retry_after(celery_worker, vendor, outbox):
    path = (
        "/v1"
        if isinstance(vendor, FakeStripe)
        else ("/services/data" if isinstance(vendor, FakeSalesforce) else "/api/v2")
    )
    vendor.fail_next(429, retry_after=1, path=path)
    item = verified(outbox)
    wait_for(lambda: item.jobs.filter(action="locate", status=JobStatus.SUCCEEDED).exists())
    locate = item.jobs.get(action="locate")
    assert locate.attempts == 2
    assert (locate.started_at - locate.created_at).total_seconds() >= 1
