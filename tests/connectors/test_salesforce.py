"""The Salesforce connector over REST, against a fake Salesforce."""

from datetime import date

import pytest

from connectors.backends.salesforce import SalesforceConnector, soql_literal
from connectors.base import ConnectorRefused, ConnectorUnavailable, ObjectionKind, SubjectIdentity
from tests.connectors import sources
from tests.connectors.test_contract import ConnectorContract
from tests.fakes.salesforce import FakeSalesforce

ERIKA = SubjectIdentity(email=sources.SUBJECT)


@pytest.fixture
def fake():
    with FakeSalesforce(page_size=2) as server:
        server.individual = server.add(
            "Individual", HasOptedOutProcessing=False, HasOptedOutSolicit=False, ShouldForget=False
        )
        server.contact = server.add(
            "Contact",
            Email=sources.SUBJECT,
            FirstName="Erika",
            LastName="Mustermann",
            IndividualId=server.individual,
        )
        server.lead = server.add("Lead", Email=sources.SUBJECT.upper(), LastName="Mustermann")
        server.cases = [
            server.add("Case", ContactId=server.contact, Subject=f"Case {n}") for n in range(3)
        ]
        server.web_case = server.add("Case", SuppliedEmail=sources.SUBJECT, Subject="Web form")
        server.task = server.add("Task", WhoId=server.contact, Subject="Call back")
        server.eve = server.add("Contact", Email=sources.DECOY, LastName="Decoy")
        server.obrien = server.add("Contact", Email="o'brien@example.org", LastName="O'Brien")
        yield server


def connector(fake, **options):
    return SalesforceConnector(
        "crm",
        {
            "base_url": fake.url,
            "token_url": f"{fake.url}/services/oauth2/token",
            "client_id": "dsr",
            "client_secret": "s3cret",
            **options,
        },
    )


def test_contacts_leads_cases_and_tasks_are_found_across_pages(fake):
    located = connector(fake).locate(ERIKA)
    assert located.found
    assert located.records == 7
    assert set(located.identifiers["salesforce_id"]) == {fake.contact, fake.lead}
    assert fake.calls("GET", "/query/01g")  # followed nextRecordsUrl
    pages = list(connector(fake).export(ERIKA))
    cases = [r for p in pages if p.category == "cases" for r in p.records]
    assert {c["Id"] for c in cases} == {*fake.cases, fake.web_case}
    assert sources.DECOY not in str(pages)


def test_quotes_in_an_address_are_escaped_not_executed(fake):
    assert connector(fake).locate(SubjectIdentity(email="o'brien@example.org")).found
    injection = SubjectIdentity(email="x' OR Email != '")
    assert not connector(fake).locate(injection).found
    assert soql_literal("a\\'b") == "'a\\\\\\'b'"


def test_erasure_deletes_the_records_and_marks_the_individual_to_forget(fake):
    result = connector(fake).erase(ERIKA, today=date.today())
    assert result.erased == 7
    assert fake.objects["Contact"].keys() == {fake.eve, fake.obrien}
    assert fake.objects["Individual"][fake.individual]["ShouldForget"] is True
    assert not connector(fake).locate(ERIKA).found


def test_anonymising_instead_of_deleting(fake):
    system = connector(
        fake, delete=False, anonymise={"Contact": {"FirstName": "Erased", "Email": None}}
    )
    result = system.erase(ERIKA, today=date.today())
    assert result.anonymised == 1
    assert fake.objects["Contact"][fake.contact]["FirstName"] == "Erased"


def test_restriction_and_objection_live_on_the_individual(fake):
    system = connector(fake)
    assert system.restrict(ERIKA).changed == 1
    assert fake.objects["Individual"][fake.individual]["HasOptedOutProcessing"] is True
    system.object(ERIKA, ObjectionKind.DIRECT_MARKETING)
    assert fake.objects["Individual"][fake.individual]["HasOptedOutSolicit"] is True
    assert fake.objects["Individual"][fake.individual]["HasOptedOutTracking"] is True
    system.lift_restriction(ERIKA)
    assert fake.objects["Individual"][fake.individual]["HasOptedOutProcessing"] is False


def test_rectification_patches_allowed_fields(fake):
    result = connector(fake).rectify(ERIKA, {"Contact.LastName": "Musterfrau"})
    assert result.changed == 1
    assert fake.objects["Contact"][fake.contact]["LastName"] == "Musterfrau"


def test_the_lead_without_an_individual_cannot_carry_the_restriction(fake):
    result = connector(fake).restrict(ERIKA)
    assert (result.changed, result.uncovered) == (1, 1)  # her Lead has no Individual


def test_the_supplementary_statement_becomes_a_note_on_her_records(fake):
    result = connector(fake).rectify(ERIKA, {}, statement="I moved in 2024.")
    assert result.statement_kept
    notes = list(fake.objects["Note"].values())
    assert {n["ParentId"] for n in notes} == {fake.contact, fake.lead}
    assert {n["Body"] for n in notes} == {"I moved in 2024."}


def test_an_expired_session_is_refreshed_once(fake):
    system = connector(fake)
    system.locate(ERIKA)
    fake.expire_tokens()
    assert system.locate(ERIKA).found
    assert len(fake.calls("POST", "oauth2/token")) == 2


def test_errors_map_to_retry_later_or_give_up(fake):
    system = connector(fake)
    system.check()
    fake.fail_next(503, path="/query")
    with pytest.raises(ConnectorUnavailable):
        system.locate(ERIKA)
    fake.fail_next(429, retry_after=5, path="/query")
    with pytest.raises(ConnectorUnavailable) as error:
        system.locate(ERIKA)
    assert error.value.retry_after == 5
    fake.fail_next(400, path="/query")
    with pytest.raises(ConnectorRefused, match="MALFORMED_QUERY"):
        system.locate(ERIKA)


class TestSalesforceContract(ConnectorContract):
    @pytest.fixture
    def system(self, fake):
        return connector(fake)


def test_a_next_records_url_on_another_host_is_not_followed_with_our_token(fake):
    with FakeSalesforce() as elsewhere:
        fake.next_base = elsewhere.url
        with pytest.raises(ConnectorRefused, match="another host"):
            connector(fake).locate(ERIKA)
        assert elsewhere.log == []
