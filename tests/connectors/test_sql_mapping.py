"""The SQL mapping is a declared model: what loaded before loads, and every mistake is refused
with the path of the field (tables are called by their names)."""

from datetime import date

import pytest

from connectors.backends.sql import SQLConnector, parse_mapping
from connectors.base import ConnectorMisconfigured
from tests.connectors import sources

CUSTOMERS, INVOICES = sources.BILLING_MAPPING["tables"]


def refused(mapping):
    with pytest.raises(ConnectorMisconfigured) as error:
        parse_mapping(mapping)
    return error.value.problems


@pytest.mark.parametrize(
    "mapping", [sources.CRM_MAPPING, sources.BILLING_MAPPING, sources.CHAT_MAPPING]
)
def test_the_shipped_mappings_load(mapping):
    tables = parse_mapping(mapping)
    assert [t.name for t in tables] == [t["name"] for t in mapping["tables"]]


def test_the_fields_keep_their_meaning():
    customers, invoices = parse_mapping(sources.BILLING_MAPPING)
    assert customers.anonymise == {"email": "hash", "name": "fixed:Erased", "street": None}
    assert parse_mapping(sources.CRM_MAPPING)[0].rectifiable == ("name", "phone")
    assert invoices.key == "id"
    assert invoices.retention is not None
    assert invoices.retention.from_end_of_year
    assert invoices.retention.erase_after(date(2024, 3, 1)) == date(2034, 12, 31)


def test_a_retention_counted_from_the_date_ends_on_that_date():
    retention = dict(INVOICES["retention"], **{"from": "date"})
    [_, invoices] = parse_mapping({"tables": [CUSTOMERS, dict(INVOICES, retention=retention)]})
    assert invoices.retention is not None
    assert invoices.retention.erase_after(date(2024, 3, 1)) == date(2034, 3, 1)


def test_an_unknown_erasure_strategy_names_the_table_and_the_choices():
    assert refused({"tables": [dict(CUSTOMERS, erasure="remove"), INVOICES]}) == (
        "tables.customers.erasure: must be one of delete, anonymise, keep",
    )


def test_an_unknown_anonymisation_names_the_column():
    anonymise = {"email": "scramble", "name": "fixed:Erased"}
    assert refused({"tables": [dict(CUSTOMERS, anonymise=anonymise), INVOICES]}) == (
        "tables.customers.anonymise.email: must be null, hash or fixed:<text>",
    )


def test_a_misspelt_key_is_refused_rather_than_ignored():
    retention = {k: v for k, v in INVOICES["retention"].items() if k != "years"}
    retention["yeras"] = 10
    assert sorted(refused({"tables": [CUSTOMERS, dict(INVOICES, retention=retention)]})) == [
        "tables.invoices.retention.years: is required",
        "tables.invoices.retention.yeras: is not a known field",
    ]


def test_a_retention_counted_from_a_misspelt_start_is_refused():
    # It used to mean "from the date" silently: up to a year less than the law asks.
    retention = dict(INVOICES["retention"], **{"from": "end_of_yaer"})
    assert refused({"tables": [CUSTOMERS, dict(INVOICES, retention=retention)]}) == (
        "tables.invoices.retention.from: must be one of end_of_year, date",
    )


def test_an_expiry_needs_whole_hours():
    conversations, messages = sources.CHAT_MAPPING["tables"]
    expires = {"date_column": "sent_at", "hours": "a day"}
    assert refused({"tables": [conversations, dict(messages, expires=expires)]}) == (
        "tables.messages.expires.hours: Input should be a valid integer, unable to parse "
        "string as an integer",
    )


def test_a_table_must_find_the_subject_itself_or_through_a_parent():
    orphan = {"name": "notes", "category": "notes", "erasure": "delete"}
    assert refused({"tables": [CUSTOMERS, orphan]}) == (
        "tables.notes: needs identity columns or a parent",
    )
    stray = dict(INVOICES, parent="customer")
    assert refused({"tables": [CUSTOMERS, stray]}) == (
        "tables.invoices.parent: customer is not a mapped table (parent needs a mapped table "
        "and parent_key)",
    )


def test_a_table_without_a_name_is_called_by_its_position():
    assert refused({"tables": [CUSTOMERS, {"category": "x", "identity": {"email": "e"}}]}) == (
        "tables[1].name: is required",
    )


def test_every_problem_is_reported_at_once():
    assert refused({"tables": [dict(CUSTOMERS, erasure="x", key=1), {"name": "y"}]}) == (
        "tables.customers.key: Input should be a valid string",
        "tables.customers.erasure: must be one of delete, anonymise, keep",
        "tables.y.category: is required",
    )


def test_the_connector_names_the_system_and_the_option_that_holds_the_mapping(tmp_path):
    bad = {"tables": [dict(CUSTOMERS, erasure="remove"), INVOICES]}
    with pytest.raises(ConnectorMisconfigured) as error:
        SQLConnector("billing", {"url": "sqlite://", "mapping": bad})
    assert str(error.value) == (
        "billing: options.mapping.tables.customers.erasure: must be one of delete, anonymise, keep"
    )
    path = tmp_path / "billing.yaml"
    path.write_text("tables:\n  - {name: customers, category: c, erasure: delete}\n")
    with pytest.raises(ConnectorMisconfigured) as error:
        SQLConnector("billing", {"url": "sqlite://", "mapping_file": str(path)})
    assert str(error.value) == (
        f"billing: options.mapping_file {path}: tables.customers: needs identity columns or a "
        "parent"
    )


def test_the_connector_needs_a_url_and_a_mapping():
    with pytest.raises(ConnectorMisconfigured, match=r"^crm: options\.url: is required$"):
        SQLConnector("crm", {"mapping": sources.CRM_MAPPING})
    with pytest.raises(ConnectorMisconfigured, match=r"^crm: options\.mapping: the SQL connector"):
        SQLConnector("crm", {"url": "sqlite://"})


def test_the_reports_labels_and_money_columns_are_declared_and_read_by_category():
    invoices = dict(
        INVOICES,
        label={"en": "Invoices", "de": "Rechnungen"},
        labels={"amount": {"en": "Amount", "de": "Betrag"}, "number": "Invoice no."},
        money={"amount": {"currency": "eur"}, "fee": {"currency_column": "cur", "minor_units": 1}},
    )
    connector = SQLConnector(
        "billing", {"url": "sqlite://", "mapping": {"tables": [CUSTOMERS, invoices]}}
    )
    columns = connector.columns("invoices")
    assert columns["amount"].label == {"en": "Amount", "de": "Betrag"}
    assert (columns["amount"].kind, columns["amount"].currency) == ("money", "EUR")
    assert (columns["fee"].currency_field, columns["fee"].minor_units) == ("cur", True)
    assert columns["number"].label == "Invoice no."
    assert connector.category_label("invoices") == {"en": "Invoices", "de": "Rechnungen"}
    assert connector.columns("billing_account") == {}


@pytest.mark.parametrize(
    ("money", "problem"),
    [
        ({}, "tables.invoices.money.amount: needs either currency or currency_column"),
        (
            {"currency": "EUR", "currency_column": "c"},
            "tables.invoices.money.amount: needs either currency or currency_column",
        ),
        ({"currency": "EURO"}, "tables.invoices.money.amount.currency"),
    ],
)
def test_a_money_column_needs_exactly_one_currency(money, problem):
    [found] = refused({"tables": [CUSTOMERS, dict(INVOICES, money={"amount": money})]})
    assert found.startswith(problem), found
