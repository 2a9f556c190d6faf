"""`manage.py check` loads every configured system and names the system and the field that
stops it: the entry's shape, the backend, the secrets, the backend's options."""

from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from connectors import registry
from connectors.base import ConnectorMisconfigured
from tests.connectors import sources

ROOT = Path(__file__).resolve().parents[2]
SQL = "connectors.backends.sql.SQLConnector"


@pytest.fixture
def systems(settings):
    def configure(**entries):
        settings.DSR_CONNECTORS = entries
        settings.DSR_CONNECTORS_FILE = ""

    yield configure
    registry.reset()


def connector_messages():
    return [(m.id, m.msg) for m in run_checks() if m.id and m.id.startswith("connectors.")]


def crm(**options):
    return {
        "BACKEND": SQL,
        "OPTIONS": {"url": "sqlite://", "mapping": sources.CRM_MAPPING, **options},
    }


def test_systems_that_load_give_no_message(systems):
    systems(
        crm=crm(),
        chat={"backend": SQL, "options": {"url": "sqlite://", "mapping": sources.CHAT_MAPPING}},
    )
    assert connector_messages() == []


def test_the_example_configuration_loads_once_its_secrets_are_set(settings, monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("BILLING_DATABASE_URL", "sqlite://")
    settings.DSR_CONNECTORS_FILE = str(ROOT / "connectors.example.yaml")
    assert connector_messages() == []
    assert set(registry.systems()) == {"crm", "billing", "archive"}
    registry.reset()


def test_a_missing_secret_names_the_system_the_option_and_the_variable(systems, monkeypatch):
    monkeypatch.delenv("CRM_URL", raising=False)
    systems(crm=crm(url="env:CRM_URL"))
    assert connector_messages() == [
        ("connectors.E004", "crm: options.url: environment variable CRM_URL is not set")
    ]
    with pytest.raises(ConnectorMisconfigured, match=r"crm: options\.url: environment variable"):
        registry.connector("crm")


def test_a_backend_that_does_not_import_is_refused(systems):
    systems(shop={"BACKEND": "shop.connector.ShopConnector"})
    assert connector_messages() == [
        ("connectors.E003", "shop: backend: cannot import shop.connector.ShopConnector")
    ]


def test_a_backend_that_is_not_a_connector_is_refused(systems):
    systems(shop={"BACKEND": "connectors.base.SubjectIdentity"})
    assert connector_messages() == [
        (
            "connectors.E003",
            "shop: backend: connectors.base.SubjectIdentity is not a connectors.base.Connector",
        )
    ]


def test_an_entry_of_the_wrong_shape_names_each_field(systems):
    systems(crm={"NAME": "CRM", "STAGE": "first", "ACTIVITIES": "marketing"})
    assert sorted(connector_messages()) == [
        ("connectors.E002", "crm: activities: Input should be a valid tuple"),
        ("connectors.E002", "crm: backend: is required"),
        (
            "connectors.E002",
            "crm: stage: Input should be a valid integer, unable to parse string as an integer",
        ),
    ]


def test_options_the_backend_refuses_name_the_option(systems):
    systems(
        crm=crm(batch_size="many"),
        support={"backend": "connectors.backends.zendesk.ZendeskConnector", "options": {}},
    )
    assert sorted(connector_messages()) == [
        (
            "connectors.E005",
            "crm: options.batch_size: Input should be a valid integer, unable to parse string "
            "as an integer",
        ),
        ("connectors.E005", "support: options.base_url: is required"),
    ]


def test_a_bad_table_mapping_names_the_path_to_the_field(systems):
    tables = [
        dict(sources.CRM_MAPPING["tables"][0], erasure="remove"),
        *sources.CRM_MAPPING["tables"][1:],
    ]
    systems(crm=crm(mapping={"tables": tables}))
    assert connector_messages() == [
        (
            "connectors.E005",
            "crm: options.mapping.tables.contacts.erasure: must be one of delete, anonymise, keep",
        )
    ]


def test_an_unknown_key_is_a_warning_and_the_system_still_loads(systems):
    systems(crm={**crm(), "CONCURENCY": 2})
    [(code, message)] = connector_messages()
    assert code == "connectors.W001"
    assert message == "crm: concurency: is not a known field and is ignored"
    assert registry.systems()["crm"].concurrency == 4


def test_an_unreadable_file_is_reported(settings, tmp_path):
    settings.DSR_CONNECTORS_FILE = str(tmp_path / "missing.yaml")
    [(code, message)] = connector_messages()
    assert code == "connectors.E001"
    assert message.startswith(f"DSR_CONNECTORS_FILE {tmp_path / 'missing.yaml'}: cannot be read")
    registry.reset()


def test_a_file_that_is_not_yaml_says_where(settings, tmp_path):
    path = tmp_path / "systems.yaml"
    path.write_text("systems:\n  crm:\n    backend: [unclosed\n", encoding="utf-8")
    settings.DSR_CONNECTORS_FILE = str(path)
    [(code, message)] = connector_messages()
    assert code == "connectors.E001"
    assert message.startswith(f"DSR_CONNECTORS_FILE {path}: is not valid YAML at line 4")
    registry.reset()


def test_manage_py_check_stops_on_a_system_that_cannot_load(systems, monkeypatch):
    monkeypatch.delenv("CRM_URL", raising=False)
    systems(crm=crm(url="env:CRM_URL"))
    with pytest.raises(SystemCheckError, match=r"\(connectors\.E004\) crm: options\.url"):
        call_command("check")
