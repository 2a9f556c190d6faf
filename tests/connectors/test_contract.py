"""One contract every connector backend keeps; each backend's test class runs all of it."""

from datetime import date

import pytest

from connectors.backends.fake import FakeConnector
from connectors.backends.sql import SQLConnector
from connectors.base import (
    Capability,
    ChangeResult,
    Connector,
    ErasureResult,
    ExportPage,
    LocateResult,
    ObjectionKind,
    SubjectIdentity,
)
from tests.connectors import sources

SUBJECT = SubjectIdentity(email=sources.SUBJECT)
STRANGER = SubjectIdentity(email="nobody-at-all@example.net")


class ConnectorContract:
    """Subclasses provide the ``system`` fixture: a backend holding SUBJECT's data."""

    def test_it_declares_what_it_can_do(self, system: Connector):
        assert system.capabilities
        assert system.capabilities <= set(Capability)
        assert isinstance(system.check(), str)

    def test_it_finds_the_subject_and_nobody_else(self, system: Connector):
        found = system.locate(SUBJECT)
        assert isinstance(found, LocateResult)
        assert found.found
        assert found.records > 0
        assert not system.locate(STRANGER).found

    def test_the_export_comes_in_pages_of_the_subject_only(self, system: Connector):
        pages = list(system.export(SUBJECT))
        assert pages
        assert all(isinstance(p, ExportPage) and p.category for p in pages)
        assert all(isinstance(record, dict) for p in pages for record in p.records)
        assert list(system.export(STRANGER)) == []

    def test_after_erasure_only_retained_records_remain(self, system: Connector):
        result = system.erase(SUBJECT, today=date.today())
        assert isinstance(result, ErasureResult)
        assert result.erased + result.anonymised + sum(r.records for r in result.retained) > 0
        for kept in result.retained:
            assert kept.legal_basis
            assert kept.erase_after
            assert kept.erase_after > date.today()
        after = system.locate(SUBJECT)
        assert not after.found or result.anonymised or result.retained

    def test_an_erasure_preview_changes_nothing_and_says_what_the_erasure_does(
        self, system: Connector
    ):
        preview = system.preview_erasure(SUBJECT, today=date.today())
        if preview is None:
            pytest.skip("this backend says what it keeps only when it erases")
        assert system.locate(SUBJECT) == system.locate(SUBJECT)
        assert system.locate(SUBJECT).found  # still there
        assert list(system.export(SUBJECT))
        assert system.preview_erasure(SUBJECT, today=date.today()) == preview  # nothing moved
        assert system.erase(SUBJECT, today=date.today()) == preview
        assert system.preview_erasure(STRANGER, today=date.today()) == ErasureResult()

    def test_restriction_reports_what_changed(self, system: Connector):
        if Capability.RESTRICT not in system.capabilities:
            pytest.skip("this backend cannot restrict")
        restricted = system.restrict(SUBJECT)
        assert isinstance(restricted, ChangeResult)
        # Every record she has is accounted for: changed now, already so, or uncovered.
        assert restricted.changed + restricted.already + restricted.uncovered > 0
        assert isinstance(system.lift_restriction(SUBJECT), ChangeResult)


class TestSQLResults:
    """What the SQL backend reports beyond a count: already so, and what it cannot do."""

    @pytest.fixture
    def url(self, tmp_path):
        url = sources.database_url("sqlite", "contract_results", tmp_path)
        sources.seed(url)
        return url

    def test_a_second_restriction_finds_her_records_already_restricted(self, url):
        crm = SQLConnector("crm", {"url": url, "mapping": sources.CRM_MAPPING})
        first = crm.restrict(SUBJECT)
        assert first.changed > 0
        assert first.uncovered == 0  # her notes follow the contact's flag
        again = crm.restrict(SUBJECT)
        assert (again.changed, again.already, again.uncovered) == (0, first.changed, 0)

    def test_a_system_without_a_restriction_flag_reports_her_records_uncovered(self, url):
        chat = SQLConnector("chat", {"url": url, "mapping": sources.CHAT_MAPPING})
        held = chat.locate(SUBJECT).records
        result = chat.restrict(SUBJECT)
        assert held > 0
        assert (result.changed, result.already, result.uncovered) == (0, 0, held)
        assert chat.restrict(STRANGER).uncovered == 0

    def test_a_system_without_a_marketing_function_reports_uncovered(self, url):
        chat = SQLConnector("chat", {"url": url, "mapping": sources.CHAT_MAPPING})
        result = chat.object(SUBJECT, ObjectionKind.DIRECT_MARKETING)
        assert (result.changed, result.uncovered) == (0, chat.locate(SUBJECT).records)
        crm = SQLConnector("crm", {"url": url, "mapping": sources.CRM_MAPPING})
        assert crm.object(SUBJECT, ObjectionKind.DIRECT_MARKETING).changed == 1
        again = crm.object(SUBJECT, ObjectionKind.DIRECT_MARKETING)
        assert (again.changed, again.already, again.uncovered) == (0, 1, 0)


class TestFakeConnector(ConnectorContract):
    @pytest.fixture
    def system(self, tmp_path):
        return FakeConnector(
            "fake",
            {"known": [sources.SUBJECT], "records": 5, "page_size": 2, "state_dir": str(tmp_path)},
        )


@pytest.mark.parametrize(
    "engine",
    [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
class TestSQLConnector(ConnectorContract):
    @pytest.fixture(params=["crm", "chat"])
    def system(self, request, engine, tmp_path):
        url = sources.database_url(engine, f"contract_{request.param}", tmp_path)
        sources.seed(url)
        mapping = sources.CRM_MAPPING if request.param == "crm" else sources.CHAT_MAPPING
        backend = SQLConnector(request.param, {"url": url, "mapping": mapping})
        yield backend
        backend.close()
