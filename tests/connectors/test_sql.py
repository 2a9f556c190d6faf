"""The SQL connector on real SQLite, PostgreSQL and MariaDB databases."""

from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text

from connectors.backends.sql import SQLConnector, parse_mapping
from connectors.base import (
    ConnectorMisconfigured,
    ConnectorUnavailable,
    ObjectionKind,
    SubjectIdentity,
)
from tests.connectors import sources
from tests.connectors.sources import CUSTOMER_NO, DECOY, SUBJECT

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]
TODAY = date.today()
ERIKA = SubjectIdentity(email="Erika.Mustermann@Example.org")


@pytest.fixture(params=ENGINES)
def url(request, tmp_path):
    url = sources.database_url(request.param, "sql", tmp_path)
    sources.seed(url)
    return url


def crm(url):
    return SQLConnector("crm", {"url": url, "mapping": sources.CRM_MAPPING, "batch_size": 2})


def billing(url):
    return SQLConnector("billing", {"url": url, "mapping": sources.BILLING_MAPPING})


def chat(url):
    return SQLConnector("chat", {"url": url, "mapping": sources.CHAT_MAPPING})


def test_it_finds_the_subject_case_insensitively_and_reports_the_customer_number(url):
    located = crm(url).locate(ERIKA)
    assert located.found
    assert located.records == 1 + 3  # the contact and three notes
    assert located.identifiers == {"customer_number": (CUSTOMER_NO,)}
    assert not crm(url).locate(SubjectIdentity(email="nobody@example.org")).found


def test_the_export_holds_exactly_the_subjects_rows_in_small_pages(url):
    pages = list(crm(url).export(ERIKA))
    assert all(len(page.records) <= 2 for page in pages)  # batch_size 2
    contacts = [r for p in pages if p.category == "contact" for r in p.records]
    notes = [r for p in pages if p.category == "service_notes" for r in p.records]
    assert [c["email"].lower() for c in contacts] == [SUBJECT]
    assert len(notes) == 3
    assert all("Erika" in n["body"] for n in notes)
    assert all(DECOY not in str(p.records) for p in pages)
    assert pages[0].provided_fields == ("email", "name", "phone")


def test_each_page_carries_its_tables_legal_basis_and_inferred_columns(url):
    mapping = {
        "tables": [
            {**sources.CRM_MAPPING["tables"][0], "basis": "contract"},
            {**sources.CRM_MAPPING["tables"][1], "basis": "contract", "inferred": ["body"]},
        ]
    }
    pages = list(SQLConnector("crm", {"url": url, "mapping": mapping}).export(ERIKA))
    declared = {(p.category, p.legal_basis, p.inferred_fields) for p in pages}
    assert declared == {("contact", "contract", ()), ("service_notes", "contract", ("body",))}
    assert all("body" in r for p in pages if p.category == "service_notes" for r in p.records)


def test_an_identifier_found_elsewhere_reaches_rows_without_the_email(url):
    assert not billing(url).locate(ERIKA).found  # billing has no e-mail for her
    with_number = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    pages = list(billing(url).export(with_number))
    invoices = [r for p in pages if p.category == "invoices" for r in p.records]
    assert len(invoices) == 3
    assert {r["number"] for r in invoices} == {"INV-1-0", "INV-1-1", "INV-1-2"}


def test_erasure_keeps_each_invoice_until_its_own_end_and_restricts_their_customer(url):
    subject = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    result = billing(url).erase(subject, today=TODAY)
    # The 12-year-old invoice is past its 10 years; the two recent ones are kept by law, each
    # until 10 years after the end of its own year.
    assert result.erased == 1
    assert result.anonymised == 0  # the customer the kept invoices name is not anonymised
    invoices = [kept for kept in result.retained if kept.location == "invoices"]
    recent = TODAY - timedelta(days=40)
    assert [(kept.records, kept.erase_after) for kept in invoices] == [
        (1, date(TODAY.year - 2 + 10, 12, 31)),
        (1, date(recent.year + 10, 12, 31)),
    ]
    assert all(kept.statute == "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG" for kept in invoices)
    assert len({key for kept in invoices for key in kept.keys}) == 2
    (customer_kept,) = [kept for kept in result.retained if kept.location == "customers"]
    assert customer_kept.keys == ("1",)
    assert customer_kept.needed_for == "invoices"
    assert customer_kept.erase_after == invoices[-1].erase_after  # the latest invoice's end
    assert customer_kept.legal_basis.startswith("Art. 17(3)(b)")
    rows = sources.rows(url, "invoices", "customer_id = 1")
    assert len(rows) == 2
    assert all(row["processing_restricted"] for row in rows)
    customer = sources.rows(url, "customers", "id = 1")[0]
    assert customer["name"] == "Erika Mustermann"  # the tax record stays whole
    assert customer["processing_restricted"]
    # Everybody else is untouched.
    assert len(sources.rows(url, "invoices", "customer_id <> 1")) == 3 * 6
    assert sources.rows(url, "customers", "id = 2")[0]["name"] == "Eve Decoy"
    assert not sources.rows(url, "customers", "id = 2")[0]["processing_restricted"]


def test_a_customer_no_kept_invoice_names_is_anonymised(url):
    subject = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    much_later = date(TODAY.year + 11, 1, 1)  # every invoice is past its duty by then
    result = billing(url).erase(subject, today=much_later)
    assert (result.erased, result.anonymised, result.retained) == (3, 1, ())
    customer = sources.rows(url, "customers", "id = 1")[0]
    assert customer["name"] == "Erased"
    assert customer["street"] is None
    assert customer["customer_no"] == CUSTOMER_NO


def test_erasure_of_the_chat_counts_exactly_and_spares_the_decoy(url):
    result = chat(url).erase(ERIKA, today=TODAY)
    assert (result.erased, result.anonymised, result.retained) == (4, 0, ())
    assert sources.rows(url, "conversations", "id = 1") == []
    assert len(sources.rows(url, "messages", "conversation_id = 2")) == 3
    assert chat(url).erase(ERIKA, today=TODAY).erased == 0  # running it again changes nothing


def test_hashing_leaves_no_way_back(url):
    subject = SubjectIdentity(customer_number="K-999999")
    billing(url).erase(subject, today=date(TODAY.year + 11, 1, 1))  # no invoice keeps her
    email = sources.rows(url, "customers", "id = 2")[0]["email"]
    assert email.startswith("erased-")
    assert DECOY not in email


def test_restriction_and_objection_set_the_flags_once(url):
    system = crm(url)
    assert system.restrict(ERIKA).changed == 1
    assert system.restrict(ERIKA).changed == 0
    assert sources.rows(url, "contacts", "id = 1")[0]["processing_restricted"]
    assert not sources.rows(url, "contacts", "id = 2")[0]["processing_restricted"]
    assert system.object(ERIKA, ObjectionKind.DIRECT_MARKETING).changed == 1
    assert sources.rows(url, "contacts", "id = 1")[0]["marketing_opt_out"]
    assert system.lift_restriction(ERIKA).changed == 1
    assert not sources.rows(url, "contacts", "id = 1")[0]["processing_restricted"]


def test_rectification_changes_only_declared_fields(url):
    system = crm(url)
    assert system.rectify(ERIKA, {"contacts.phone": "+49 30 123"}).changed == 1
    assert sources.rows(url, "contacts", "id = 1")[0]["phone"] == "+49 30 123"
    # Held here but not rectifiable: her row is uncovered, nothing is written.
    refused = system.rectify(ERIKA, {"contacts.customer_no": "K-1"})
    assert (refused.changed, refused.uncovered) == (0, 1)
    assert sources.rows(url, "contacts", "id = 1")[0]["customer_no"] == CUSTOMER_NO


def test_the_supplementary_statement_is_stored_on_her_rows_only(url):
    system = crm(url)
    result = system.rectify(ERIKA, {}, statement="My old address was used until May.")
    assert (result.changed, result.uncovered, result.statement_kept) == (0, 0, True)
    assert sources.rows(url, "contacts", "id = 1")[0]["dsr_statement"] == (
        "My old address was used until May."
    )
    assert sources.rows(url, "contacts", "id = 2")[0]["dsr_statement"] is None


def test_a_system_without_a_statement_column_says_it_did_not_keep_it(url):
    system = SQLConnector("chat", {"url": url, "mapping": sources.CHAT_MAPPING})
    result = system.rectify(ERIKA, {}, statement="Please note this.")
    assert not result.statement_kept
    assert "no place for a supplementary statement" in result.note


def test_an_unreachable_database_is_a_retry_later():
    system = SQLConnector(
        "crm",
        {"url": "postgresql+psycopg://root@127.0.0.1:1/nothing", "mapping": sources.CRM_MAPPING},
    )
    with pytest.raises(ConnectorUnavailable) as error:
        system.locate(ERIKA)
    assert "erika" not in str(error.value).lower()


def test_a_mapping_that_would_orphan_retained_rows_is_refused():
    mapping = {
        "tables": [
            {**sources.BILLING_MAPPING["tables"][0], "erasure": "delete"},
            sources.BILLING_MAPPING["tables"][1],
        ]
    }
    with pytest.raises(ConnectorMisconfigured, match="must be anonymised"):
        parse_mapping(mapping)


def test_a_consent_withdrawal_erases_only_what_rests_on_consent(url):
    mapping = {
        "tables": [
            *sources.CRM_MAPPING["tables"],
            {
                "name": "newsletter",
                "category": "newsletter",
                "identity": {"email": "email"},
                "erasure": "delete",
                "basis": "consent",
            },
        ]
    }
    system = SQLConnector("crm", {"url": url, "mapping": mapping})
    result = system.erase(ERIKA, today=TODAY, consent_only=True)
    assert result.erased == 1
    assert sources.rows(url, "newsletter", "id = 1") == []
    assert len(sources.rows(url, "contacts", "id = 1")) == 1  # the contract data stays
    assert len(sources.rows(url, "newsletter")) == 6


def test_kept_invoices_are_erased_exactly_when_their_duty_ends(url):
    subject = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    system = billing(url)
    retained = system.erase(subject, today=TODAY).retained
    older, younger, customer = retained
    assert (older.location, younger.location, customer.location) == (
        "invoices",
        "invoices",
        "customers",
    )
    # Meanwhile Erika became a customer again: a new invoice must survive the later erasure.
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO invoices (id, customer_id, number, amount, issued_on, "
                "processing_restricted) VALUES (999, 1, 'NEW', 10, :d, :f)"
            ),
            {"d": TODAY, "f": False},
        )
    engine.dispose()
    assert system.erase_kept(older.location, older.keys, today=TODAY) == 0  # not yet
    # The older invoice goes when its own duty ends; the younger one waits for its own.
    after_older = older.erase_after + timedelta(days=1)
    assert system.erase_kept(older.location, older.keys, today=after_older) == 1
    if younger.erase_after > older.erase_after:
        assert system.erase_kept(younger.location, younger.keys, today=after_older) == 0
    later = date(TODAY.year + 11, 1, 1)
    assert system.erase_kept(younger.location, younger.keys, today=later) == 1
    assert [r["number"] for r in sources.rows(url, "invoices", "customer_id = 1")] == ["NEW"]
    # The customer is still named by the new invoice: it stays as it is.
    assert system.erase_kept(customer.location, customer.keys, today=later) == 0
    assert sources.rows(url, "customers", "id = 1")[0]["name"] == "Erika Mustermann"


def test_the_customer_kept_for_its_invoices_is_anonymised_when_the_last_one_goes(url):
    subject = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    system = billing(url)
    *invoices, customer = system.erase(subject, today=TODAY).retained
    later = date(TODAY.year + 11, 1, 1)
    assert system.erase_kept(customer.location, customer.keys, today=TODAY) == 0
    # Before its invoices go, nothing happens to it: they still name it.
    assert system.erase_kept(customer.location, customer.keys, today=later) == 0
    for kept in invoices:
        system.erase_kept(kept.location, kept.keys, today=later)
    assert system.erase_kept(customer.location, customer.keys, today=later) == 1
    row = sources.rows(url, "customers", "id = 1")[0]
    assert row["name"] == "Erased"  # by the table's own erasure rule
    assert row["email"] is None or row["email"].startswith("erased-")
    assert sources.rows(url, "customers", "id = 2")[0]["name"] == "Eve Decoy"


def test_content_past_the_systems_own_rule_is_still_exported_and_counted(url):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    mapping = {
        "tables": [
            {
                "name": "conversations",
                "category": "chat_sessions",
                "identity": {"email": "visitor_email"},
                "erasure": "delete",
                "expires": {"date_column": "started_at", "hours": 24},
            },
            {
                "name": "messages",
                "category": "chat_messages",
                "parent": "conversations",
                "parent_key": "conversation_id",
                "erasure": "delete",
            },
        ]
    }
    connector = SQLConnector("chat", {"url": url, "mapping": mapping})
    # Erika's only conversation is from 2025: past the rule, but still held, so answered.
    assert connector.locate(ERIKA).records == 1 + 3
    pages = list(connector.export(ERIKA))
    assert (pages[0].category, pages[0].records, pages[0].expires_after_hours) == (
        "chat_sessions",
        (),
        24,
    )
    assert pages[0].past_rule == 1
    old = [r["id"] for page in pages if page.category == "chat_sessions" for r in page.records]
    assert old == [1]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO conversations (id, visitor_email, started_at) VALUES (9001, :e, :t)"),
            {"e": SUBJECT, "t": datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)},
        )
    engine.dispose()
    pages = list(connector.export(ERIKA))
    records = [r for page in pages if page.category == "chat_sessions" for r in page.records]
    assert [r["id"] for r in records] == [1, 9001]
    assert pages[0].past_rule == 1  # the new one is within the rule
    # An erasure removes everything, the old conversation (and its 3 messages) too.
    assert connector.erase(ERIKA, today=TODAY).erased == 2 + 3


def test_an_erasure_preview_is_a_rolled_back_erasure_that_changes_nothing(url):
    subject = ERIKA.with_found({"customer_number": [CUSTOMER_NO]})
    before = [sources.rows(url, table) for table in ("customers", "invoices")]
    preview = billing(url).preview_erasure(subject, today=TODAY)
    assert preview is not None
    assert preview.erased == 1
    assert [kept.records for kept in preview.retained] == [1, 1, 1]  # two invoices, a customer
    assert [sources.rows(url, table) for table in ("customers", "invoices")] == before
    assert billing(url).erase(subject, today=TODAY) == preview


@pytest.mark.mariadb
def test_no_preview_where_a_rollback_would_not_undo_the_erasure(tmp_path):
    url = sources.database_url("mariadb", "myisam", tmp_path)
    sources.seed(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        key = conn.execute(
            text(
                "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'notes'"
            )
        ).scalar_one()
        conn.execute(text(f"ALTER TABLE notes DROP FOREIGN KEY `{key}`"))
        conn.execute(text("ALTER TABLE notes ENGINE=MyISAM"))  # no transactions
    engine.dispose()
    before = sources.rows(url, "notes")
    assert crm(url).preview_erasure(ERIKA, today=TODAY) is None
    assert sources.rows(url, "notes") == before
