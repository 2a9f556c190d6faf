"""Art. 17(2): an erasure of data we made public opens the task to inform the controllers
that process it, tracked like the Art. 19 notices, and the letter says whom we informed."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from connectors import registry
from dsr.core.errors import RequestError
from dsr.models import NoticeStatus, ProcessingActivity, PublicController, Status
from dsr.services import publication
from dsr.services.completion import complete
from tests.dsr.test_erasure_preview import ALL, approve, verified
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def forum(settings, tmp_path):
    """A forum whose member profiles are public, and a shop that publishes nothing."""
    state = str(tmp_path / "fake")
    settings.DSR_CONNECTORS = {
        name: {"BACKEND": "connectors.backends.fake.FakeConnector", "OPTIONS": {"state_dir": state}}
        for name in ("forum", "shop")
    }
    registry.reset()
    profiles = ProcessingActivity.objects.create(
        key="public-profiles",
        name="Public member profiles",
        purpose="Showing members' profiles to the public.",
        legal_basis="consent",
        data_categories="Name, photo, posts",
        retention="Until the member leaves.",
        systems=["forum"],
        made_public=True,
        published_where="https://forum.example.org/members",
    )
    PublicController.objects.create(
        activity=profiles, name="Search Engine B.V.", contact="privacy@search.example"
    )
    PublicController.objects.create(
        activity=profiles, name="Archive Foundation", contact="Postbus 1, 1000 AA Amsterdam"
    )
    ProcessingActivity.objects.create(
        key="orders",
        name="Orders",
        purpose="Selling things.",
        legal_basis="contract",
        data_categories="Orders",
        retention="10 years.",
        systems=["shop"],
    )
    yield
    registry.reset()


def test_a_public_data_erasure_opens_the_art_17_2_task_and_the_letter_reports_it(forum, outbox):
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details=ALL, language="de")
    assert not item.publication_notices.exists()  # nothing is owed before the erasure ran
    item = approve(item, officer)
    assert item.status == Status.IN_REVIEW
    owed = {(n.controller, n.contact, n.status) for n in item.publication_notices.all()}
    assert owed == {
        ("Search Engine B.V.", "privacy@search.example", NoticeStatus.PENDING),
        ("Archive Foundation", "Postbus 1, 1000 AA Amsterdam", NoticeStatus.PENDING),
    }
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    section = page[page.index('id="publication-notices"') :]
    assert "Search Engine B.V." in section
    assert "https://forum.example.org/members" in section  # in the notice to send
    with pytest.raises(RequestError, match=r"Art\. 17\(2\)"):
        complete(item, officer=officer)  # the controllers' task is still open
    search, archive = (
        item.publication_notices.get(controller="Search Engine B.V."),
        item.publication_notices.get(controller="Archive Foundation"),
    )
    response = client.post(
        reverse("staff:case_action", args=[item.reference, "publication_notice"]),
        {"notice": search.pk, "notified": "on", "reason": ""},
    )
    assert response.status_code == 302
    search.refresh_from_db()
    assert search.status == NoticeStatus.NOTIFIED
    assert search.decided_by == officer
    assert search.decided_at.date() == timezone.now().date()
    with pytest.raises(RequestError, match="reason"):
        publication.decide(archive, officer=officer, informed=False, reason="")
    publication.decide(
        archive, officer=officer, informed=False, reason="The foundation was dissolved in 2024."
    )
    complete(item, officer=officer)
    letter = outbox.last_to("erika@example.org")
    assert "Art. 17 Abs. 2 DSGVO" in letter.body
    with translation.override("de"):
        on = formats.date_format(timezone.localdate(search.decided_at), "DATE_FORMAT")
    assert f"Search Engine B.V.: am {on}" in letter.body
    assert "Archive Foundation: nicht informiert." in letter.body


def test_an_erasure_that_reaches_no_public_data_owes_no_art_17_2_notice(forum, settings, outbox):
    settings.DSR_CONNECTORS["forum"]["OPTIONS"]["known"] = ["someone.else@example.org"]
    registry.reset()
    officer, _ = make_officer()
    item = approve(verified(outbox, right="erasure", details=ALL), officer)
    assert item.status == Status.IN_REVIEW
    assert not item.publication_notices.exists()
    complete(item, officer=officer)
    assert "Art. 17(2)" not in outbox.last_to("erika@example.org").body
