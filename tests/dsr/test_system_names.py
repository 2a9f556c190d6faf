"""Staff pages name systems as the configuration names them, not by their aliases."""

import pytest
from django.urls import reverse

from connectors import registry
from dsr.models import ProcessingActivity, SubjectRequest
from dsr.services import verification
from dsr.services.completion import complete
from tests.factories import PASSWORD, submit
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def named_shop(shop, settings):
    settings.DSR_CONNECTORS["shop"]["NAME"] = {"en": "Web shop", "de": "Webshop"}
    registry.reset()


def test_the_case_page_and_the_statistics_name_the_system(named_shop, officer, client):
    ProcessingActivity.objects.create(
        key="newsletter",
        name="Sending the newsletter",
        purpose="P",
        legal_basis="consent",
        data_categories="E-mail address",
        retention="Until unsubscribed",
        systems=["shop"],
    )
    item = submit(right="restriction", email="erika@example.org")
    verification.verify_manually(item, officer=officer, reason="Known customer, signed letter.")
    complete(SubjectRequest.objects.get(pk=item.pk), officer=officer)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)

    case_page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "<td>Web shop</td>" in case_page  # the job's row
    assert "<td>shop</td>" not in case_page

    stats = client.get(reverse("staff:stats")).content.decode()
    assert '<th scope="row" class="fw-normal">Web shop<div' in stats
    assert "Sending the newsletter" in stats  # the register's activity for it

    german = client.get(
        reverse("staff:case", args=[item.reference]), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "<td>Webshop</td>" in german
