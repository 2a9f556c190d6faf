"""The Stripe connector through the official client, against a fake Stripe API."""

from datetime import date

import pytest

from connectors import registry
from connectors.backends.stripe_billing import StripeConnector
from connectors.base import ConnectorRefused, ConnectorUnavailable, SubjectIdentity
from dsr.models import JobStatus, Status
from dsr.services import jobs, verification
from tests.connectors import sources
from tests.connectors.test_contract import ConnectorContract
from tests.factories import make_officer, submit
from tests.fakes.stripe_api import FakeStripe
from tests.fixtures.celery import wait_for
from tests.helpers import code_in

ERIKA = SubjectIdentity(email="Erika.Mustermann@example.org")
THIS_YEAR = date.today().year


@pytest.fixture
def fake():
    with FakeStripe() as server:
        server.erika = server.add_customer(
            sources.SUBJECT,
            "Erika Mustermann",
            charges=3,
            invoice_years=(THIS_YEAR - 12, THIS_YEAR - 3, THIS_YEAR - 1, THIS_YEAR, THIS_YEAR),
        )
        server.eve = server.add_customer(sources.DECOY, "Eve Decoy", invoices=2, charges=1)
        yield server


def connector(fake, **options):
    return StripeConnector(
        "billing",
        {
            "api_key": "sk_test_dsr",
            "api_base": fake.url,
            "page_size": 2,
            "country": "DE",
            **options,
        },
    )


def test_the_customer_is_found_by_email_whatever_its_case(fake):
    located = connector(fake).locate(ERIKA)
    assert located.found
    assert located.identifiers == {"stripe_customer": (fake.erika,)}
    assert not connector(fake).locate(SubjectIdentity(email="nobody@example.org")).found


def test_the_export_follows_every_page_and_holds_only_the_subject(fake):
    pages = list(connector(fake).export(ERIKA))
    by_category: dict[str, list] = {}
    for page in pages:
        assert len(page.records) <= 2
        by_category.setdefault(page.category, []).extend(page.records)
    assert len(by_category["invoices"]) == 5  # three pages of two
    assert len(by_category["charges"]) == 3
    assert by_category["customer"][0]["email"] == sources.SUBJECT
    assert by_category["payment_methods"][0]["card"]["last4"] == "4242"
    assert all(r["customer"] == fake.erika for r in by_category["invoices"])
    assert fake.calls("GET", "starting_after=")  # it really paged


def test_erasure_deletes_the_customer_and_reports_invoices_kept_by_tax_law(fake):
    result = connector(fake).erase(ERIKA, today=date.today())
    assert result.erased == 1
    assert fake.customers[fake.erika] == {"id": fake.erika, "object": "customer", "deleted": True}
    assert {s["status"] for s in fake.subscriptions if s["customer"] == fake.erika} == {"canceled"}
    groups = [(k.what, k.erase_after, k.records) for k in result.retained]
    # Each invoice until the end of its own year plus 8 years; the 12-year-old one is past it.
    assert groups == [
        ("Stripe invoices", date(THIS_YEAR - 3 + 8, 12, 31), 1),
        ("Stripe invoices", date(THIS_YEAR - 1 + 8, 12, 31), 1),
        ("Stripe charges", date(THIS_YEAR + 8, 12, 31), 3),
        ("Stripe invoices", date(THIS_YEAR + 8, 12, 31), 2),
    ] or groups == [  # charges are 30 days old: in January they are last year's
        ("Stripe invoices", date(THIS_YEAR - 3 + 8, 12, 31), 1),
        ("Stripe charges", date(THIS_YEAR - 1 + 8, 12, 31), 3),
        ("Stripe invoices", date(THIS_YEAR - 1 + 8, 12, 31), 1),
        ("Stripe invoices", date(THIS_YEAR + 8, 12, 31), 2),
    ]
    invoices = result.retained[0]
    assert invoices.statute == "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG"
    assert invoices.legal_basis.startswith("Art. 17(3)(b) GDPR")
    assert invoices.location == "invoices"
    kept_ids = {key for k in result.retained if k.location == "invoices" for key in k.keys}
    assert kept_ids == {
        i["id"]
        for i in fake.invoices
        if i["customer"] == fake.erika and _year(i["created"]) >= THIS_YEAR - 8
    }
    assert not fake.customers[fake.eve].get("deleted")  # the decoy is untouched
    assert not connector(fake).locate(ERIKA).found  # the tombstone is not a customer


def test_dutch_tax_law_keeps_invoices_seven_years(fake):
    result = connector(fake, country="NL").erase(ERIKA, today=date.today())
    assert result.retained[0].erase_after == date(THIS_YEAR - 3 + 7, 12, 31)
    assert result.retained[-1].erase_after == date(THIS_YEAR + 7, 12, 31)
    assert result.retained[0].statute == "art. 52 lid 4 AWR"


def _year(timestamp: int) -> int:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC).year


def test_a_restriction_is_marked_in_the_metadata(fake):
    assert connector(fake).restrict(ERIKA).changed == 1
    assert fake.customers[fake.erika]["metadata"] == {"dsr_processing_restricted": "true"}
    again = connector(fake).restrict(ERIKA)
    assert (again.changed, again.already) == (0, 1)  # already restricted: said so
    assert connector(fake).lift_restriction(ERIKA).changed == 1


def test_429_is_a_retry_later_with_retry_after(fake):
    fake.fail_next(429, retry_after=7)
    with pytest.raises(ConnectorUnavailable) as error:
        connector(fake).locate(ERIKA)
    assert error.value.retry_after == 7


def test_a_wrong_key_is_refused_and_5xx_is_retried(fake):
    with pytest.raises(ConnectorRefused, match="API key"):
        connector(fake, api_key="sk_test_wrong").locate(ERIKA)
    fake.fail_next(503)
    with pytest.raises(ConnectorUnavailable):
        connector(fake).locate(ERIKA)


class TestStripeContract(ConnectorContract):
    @pytest.fixture
    def system(self, fake):
        return connector(fake)


@pytest.fixture
def stripe_system(settings, fake):
    settings.DSR_CONNECTORS = {
        "billing": {
            "BACKEND": "connectors.backends.stripe_billing.StripeConnector",
            "NAME": "Stripe",
            "OPTIONS": {
                "api_key": "sk_test_dsr",
                "api_base": fake.url,
                "page_size": 2,
                "country": "DE",
            },
        }
    }
    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    settings.DSR_JOB_MAX_ATTEMPTS = 3
    registry.reset()
    yield fake
    registry.reset()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_5xx_storm_fails_the_job_and_a_later_retry_completes_it(
    celery_worker, stripe_system, outbox
):
    fake = stripe_system
    officer, _ = make_officer()
    fake.fail_next(500, times=3)
    item = verified(outbox)
    wait_for(lambda: item.jobs.filter(action="locate", status=JobStatus.FAILED).exists())
    locate = item.jobs.get(action="locate")
    assert locate.attempts == 3
    assert "APIError" in locate.last_error
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    jobs.retry_job(locate, officer=officer)  # the vendor recovered
    wait_for(lambda: item.__class__.objects.get(pk=item.pk).status == Status.IN_REVIEW)
    assert item.jobs.get(action="export").result["records"] > 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_429_is_retried_after_retry_after(celery_worker, stripe_system, outbox):
    fake = stripe_system
    fake.fail_next(429, retry_after=1)
    item = verified(outbox)
    wait_for(lambda: item.jobs.filter(action="locate", status=JobStatus.SUCCEEDED).exists())
    locate = item.jobs.get(action="locate")
    assert locate.attempts == 2
    assert (locate.started_at - locate.created_at).total_seconds() >= 1  # waited as told


def verified(outbox):

    item = submit(email=sources.SUBJECT)
    wait_for(lambda: outbox.to(sources.SUBJECT))
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    return item
