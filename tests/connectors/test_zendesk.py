"""The Zendesk connector over HTTP, against a fake Zendesk API."""

from datetime import date

import pytest

from connectors.backends.zendesk import ZendeskConnector
from connectors.base import ConnectorRefused, ConnectorUnavailable, SubjectIdentity, withheld
from tests.connectors import sources
from tests.connectors.test_contract import ConnectorContract
from tests.fakes.zendesk import FakeZendesk

ERIKA = SubjectIdentity(email=sources.SUBJECT)


@pytest.fixture
def fake():
    with FakeZendesk() as server:
        server.erika = server.add_user(sources.SUBJECT, "Erika Mustermann")
        server.agent = server.add_user("sam.support@telekom.example", "Sam Support", "agent")
        server.friend = server.add_user("friend@example.net", "Fritz Friend")
        server.eve = server.add_user(sources.DECOY, "Eve Decoy")
        for n in range(3):
            server.add_ticket(
                server.erika,
                f"Router {n}",
                [
                    (
                        server.erika,
                        f"My router {n} is broken. Call Fritz Friend at friend@example.net",
                    ),
                    (server.agent, "Sam Support here: we replaced it."),
                ],
            )
        server.add_ticket(
            server.friend, "Shared line", [(server.friend, "Line issue")], ccs=(server.erika,)
        )
        server.add_ticket(server.eve, "Not hers", [(server.eve, "Eve's own ticket")])
        yield server


def connector(fake, **options):
    return ZendeskConnector(
        "support",
        {
            "base_url": fake.url,
            "token_url": f"{fake.url}/oauth/tokens",
            "client_id": "dsr",
            "client_secret": "s3cret",
            "page_size": 2,
            **options,
        },
    )


def records(pages, category):
    return [r for p in pages if p.category == category for r in p.records]


def test_rectification_corrects_her_user_and_keeps_the_statement_in_its_notes(fake):
    system = connector(fake)
    result = system.rectify(
        ERIKA, {"users.phone": "+49 30 555"}, statement="My old number was a typo."
    )
    assert (result.changed, result.uncovered, result.statement_kept) == (1, 0, True)
    user = fake.users[fake.erika]
    assert user["phone"] == "+49 30 555"
    assert user["notes"] == "Supplementary statement (Art. 16 GDPR): My old number was a typo."
    assert "notes" not in fake.users[fake.eve] or not fake.users[fake.eve]["notes"]
    # A ticket's text is what was written at the time: not a field Zendesk corrects.
    assert system.rectify(ERIKA, {"tickets.subject": "x"}).uncovered == 0
    assert system.rectify(ERIKA, {"email": "x@example.org"}).uncovered == 1


def test_the_export_follows_the_cursor_and_redacts_other_people(fake):
    pages = list(connector(fake).export(ERIKA))
    assert records(pages, "profile")[0]["id"] == fake.erika
    tickets = records(pages, "tickets")
    assert len(tickets) == 4  # three requested, one where she was copied
    comments = records(pages, "comments")
    assert len(comments) == 7
    text = str(comments)
    assert "Fritz Friend" not in text
    assert "friend@example.net" not in text
    assert "Sam Support" not in text
    assert withheld("third_party") in text  # the host shows it in the reader's language
    assert "Eve" not in str(pages)
    assert {c["author"] for c in comments} == {"you", "other participant"}
    assert fake.calls("GET", "page%5Bafter%5D")  # it followed the cursor


def test_erasure_soft_deletes_then_deletes_for_good(fake):
    result = connector(fake).erase(ERIKA, today=date.today())
    assert result.erased == 1
    user = fake.users[fake.erika]
    assert user["name"] == "Permanently Deleted User"
    assert user["email"] is None
    order = [p for m, p in fake.log if m == "DELETE"]
    assert order[0].startswith(f"/api/v2/users/{fake.erika}")
    assert order[1].startswith(f"/api/v2/deleted_users/{fake.erika}")
    assert fake.users[fake.eve]["active"]


def test_the_permanent_deletion_limit_is_a_retry_later_that_resumes(fake):
    fake.permanent_limit = 0
    found = ERIKA.with_found({"zendesk_user": [str(fake.erika)]})
    with pytest.raises(ConnectorUnavailable) as error:
        connector(fake).erase(found, today=date.today())
    assert error.value.retry_after == 1
    assert not fake.users[fake.erika]["active"]  # soft-deleted already
    fake.permanent_limit = 700
    # The retry finds the user no more by e-mail, but by the id an earlier step found.
    assert connector(fake).erase(found, today=date.today()).erased == 1


def test_redaction_instead_of_deletion(fake):
    result = connector(fake, mode="redact").erase(ERIKA, today=date.today())
    assert result.anonymised == 3
    assert fake.users[fake.erika]["active"]
    hers = [c for c in fake.comments.values() if c["author_id"] == fake.erika]
    assert all(set(c["body"]) == {"▇"} for c in hers)
    assert any("Sam Support" in c["body"] for c in fake.comments.values())


def test_an_expired_token_is_refreshed_once(fake):
    system = connector(fake)
    system.locate(ERIKA)
    fake.expire_tokens()
    assert system.locate(ERIKA).found  # refreshed, and the call went through
    assert len(fake.calls("POST", "/oauth/tokens")) == 2
    fake.client_secret = "rotated"  # a refresh that fails is not retried for ever
    fake.expire_tokens()
    with pytest.raises(ConnectorRefused):
        system.locate(ERIKA)


def test_429_and_5xx_are_retry_later(fake):
    fake.fail_next(429, retry_after=30, path="/api/v2")
    with pytest.raises(ConnectorUnavailable) as error:
        connector(fake).locate(ERIKA)
    assert error.value.retry_after == 30
    fake.fail_next(502, path="/api/v2")
    with pytest.raises(ConnectorUnavailable):
        connector(fake).locate(ERIKA)


def test_a_slow_answer_times_out_as_retry_later(fake):
    fake.delay = 1.5
    with pytest.raises(ConnectorUnavailable, match="timed out"):
        connector(fake, timeout=0.5).locate(ERIKA)


class TestZendeskContract(ConnectorContract):
    @pytest.fixture
    def system(self, fake):
        return connector(fake)


def test_a_next_link_to_another_host_is_not_followed_with_our_token(fake):
    with FakeZendesk() as elsewhere:
        fake.next_base = elsewhere.url  # same address, another port: another origin
        with pytest.raises(ConnectorRefused, match="another host"):
            list(connector(fake).export(ERIKA))
        assert elsewhere.log == []


def test_a_vendor_host_outside_the_allow_list_is_never_called(fake, settings):
    settings.DSR_WEBHOOK_ALLOWED_HOSTS = []  # the fake is on loopback
    with pytest.raises(ConnectorRefused, match="address not allowed"):
        connector(fake).locate(ERIKA)
    assert fake.log == []
