"""The demo's source systems: a CRM, billing and a support chat, as SQLite databases.

Each is reached through the real SQL connector, like a customer's own databases would be. The
people are invented; Erika Mustermann (``DEMO_SUBJECT``) is in all three. Facts follow the
seeds' privacy notice: contract data for Open Telekom Cloud, invoices kept under § 147 AO and
§ 14b UStG, chat content deleted after 24 hours and chat metadata anonymised after 28 days.

The databases are created once (``build``) and then left alone, so what a demo erasure removed
stays removed; delete ``var/demo/`` to start again.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

DEMO_SUBJECT = "erika.mustermann@example.org"
SAAS_PORT = 8601  # fake Salesforce, Stripe, Zendesk: 8601, 8602, 8603 (`make run DEMO_SAAS=1`)

# email, name, customer number, phone, street, postcode + city, language
PEOPLE: list[tuple[str, str, str, str, str, str]] = [
    (
        DEMO_SUBJECT,
        "Erika Mustermann",
        "OTC-100042",
        "+49 228 4711 0815",
        "Heidestraße 17",
        "51147 Köln",
    ),
    (
        "max.mustermann@example.com",
        "Max Mustermann",
        "OTC-100043",
        "+49 221 123 4567",
        "Heidestraße 17",
        "51147 Köln",
    ),
    (
        "jan.jansen@example.nl",
        "Jan Jansen",
        "OTC-200117",
        "+31 20 555 0199",
        "Keizersgracht 12",
        "1015 CS Amsterdam",
    ),
    (
        "sophie.devries@example.nl",
        "Sophie de Vries",
        "OTC-200245",
        "+31 10 555 0123",
        "Coolsingel 40",
        "3011 AD Rotterdam",
    ),
    (
        "lukas.becker@example.de",
        "Lukas Becker",
        "OTC-100311",
        "+49 211 555 0101",
        "Königsallee 2",
        "40212 Düsseldorf",
    ),
    (
        "anna.schmidt@example.de",
        "Anna Schmidt",
        "OTC-100390",
        "+49 30 555 0177",
        "Unter den Linden 5",
        "10117 Berlin",
    ),
]


def _label(en: str, de: str, nl: str) -> dict[str, str]:
    return {"en": en, "de": de, "nl": nl}


# What the report calls the demo's tables and columns, in the three languages (the mapping's
# optional ``label``, ``labels`` and ``money``); a real mapping may give plain text instead.
LABELS = {
    "id": _label("Number", "Nummer", "Nummer"),
    "customer_no": _label("Customer number", "Kundennummer", "Klantnummer"),
    "email": _label("E-mail", "E-Mail", "E-mail"),
    "name": _label("Name", "Name", "Naam"),
    "phone": _label("Phone", "Telefon", "Telefoon"),
    "street": _label("Street", "Straße", "Straat"),
    "city": _label("Postcode and town", "PLZ und Ort", "Postcode en plaats"),
    "product": _label("Product", "Produkt", "Product"),
    "tenant": _label("Tenant", "Mandant", "Tenant"),
    "customer_since": _label("Customer since", "Kunde seit", "Klant sinds"),
    "marketing_opt_out": _label("No advertising", "Keine Werbung", "Geen reclame"),
    "processing_restricted": _label(
        "Processing restricted", "Verarbeitung eingeschränkt", "Verwerking beperkt"
    ),
    "contact_id": _label("Contact number", "Kontaktnummer", "Contactnummer"),
    "written_at": _label("Written", "Geschrieben", "Geschreven"),
    "topic": _label("Topic", "Thema", "Onderwerp"),
    "note": _label("Note", "Notiz", "Notitie"),
    "payment_method": _label("Payment method", "Zahlungsart", "Betaalmethode"),
    "customer_id": _label("Customer account", "Kundenkonto", "Klantaccount"),
    "number": _label("Invoice number", "Rechnungsnummer", "Factuurnummer"),
    "issued_on": _label("Issued on", "Ausgestellt am", "Uitgegeven op"),
    "amount": _label("Amount", "Betrag", "Bedrag"),
    "currency": _label("Currency", "Währung", "Valuta"),
    "started_at": _label("Started", "Begonnen", "Begonnen"),
    "duration_seconds": _label("Duration (seconds)", "Dauer (Sekunden)", "Duur (seconden)"),
    "agent": _label("Agent", "Mitarbeiter", "Medewerker"),
    "chat_id": _label("Chat number", "Chatnummer", "Chatnummer"),
    "sent_at": _label("Sent", "Gesendet", "Verzonden"),
    "sender": _label("Sender", "Absender", "Afzender"),
    "text": _label("Text", "Text", "Tekst"),
}


def _labels() -> dict[str, dict[str, str]]:
    # A copy per table: the YAML file then spells each out instead of using anchors.
    return {column: dict(texts) for column, texts in LABELS.items()}


CRM_MAPPING: dict[str, Any] = {
    "tables": [
        {
            "name": "contacts",
            "category": "contact",
            "label": _label("Contact", "Kontakt", "Contact"),
            "labels": _labels(),
            "identity": {"email": "email", "customer_number": "customer_no"},
            "provides": {"customer_number": "customer_no"},
            "erasure": "delete",
            "restriction_column": "processing_restricted",
            "objection_columns": {"direct_marketing": "marketing_opt_out"},
            "rectifiable": ["name", "phone", "street", "city"],
            "basis": "contract",
        },
        {
            "name": "service_notes",
            "category": "service_notes",
            "label": _label("Service notes", "Servicenotizen", "Servicenotities"),
            "labels": _labels(),
            "parent": "contacts",
            "parent_key": "contact_id",
            "erasure": "delete",
            "restriction_column": "processing_restricted",
            "basis": "contract",
            # Written by staff about the customer: inferred, not provided (Art. 20, WP242).
            "inferred": ["note"],
        },
    ]
}
BILLING_MAPPING: dict[str, Any] = {
    "tables": [
        {
            "name": "customers",
            "category": "billing_account",
            "label": _label("Billing account", "Abrechnungskonto", "Factuuraccount"),
            "labels": _labels(),
            "identity": {"email": "email", "customer_number": "customer_no"},
            "erasure": "anonymise",
            "anonymise": {"email": "hash", "name": "fixed:Erased", "street": None},
            "restriction_column": "processing_restricted",
            "kept_as": "customer records",  # while kept invoices name them
            "rectifiable": ["name", "street", "city"],
            "basis": "contract",
        },
        {
            "name": "invoices",
            "category": "invoices",
            "label": _label("Invoices", "Rechnungen", "Facturen"),
            "labels": _labels(),
            "money": {"amount": {"currency_column": "currency"}},
            "parent": "customers",
            "parent_key": "customer_id",
            "erasure": "delete",
            "restriction_column": "processing_restricted",
            # What she ordered and was billed for: observed under the contract (Art. 20).
            "basis": "contract",
            "retention": {
                "date_column": "issued_on",
                "years": 8,
                "from": "end_of_year",
                "what": "invoices",
                "legal_basis": "Art. 17(3)(b) GDPR: legal obligation to keep accounting records",
                "statute": "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG",
            },
        },
    ]
}
CHAT_MAPPING: dict[str, Any] = {
    "tables": [
        {
            "name": "chats",
            "category": "chat_sessions",
            "label": _label("Chats", "Chats", "Chats"),
            "labels": _labels(),
            "identity": {"email": "email"},
            "erasure": "delete",
            "basis": "contract",
        },
        {
            "name": "chat_messages",
            "category": "chat_content",
            "label": _label("Chat messages", "Chatnachrichten", "Chatberichten"),
            "labels": _labels(),
            "parent": "chats",
            "parent_key": "chat_id",
            "erasure": "delete",
            "basis": "contract",
            "expires": {"date_column": "sent_at", "hours": 24},
        },
    ]
}

SCHEMAS = {
    "crm": [
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, customer_no TEXT UNIQUE, email TEXT,"
        " name TEXT, phone TEXT CHECK (length(phone) <= 20), street TEXT, city TEXT,"
        " product TEXT, tenant TEXT, customer_since DATE,"
        " marketing_opt_out BOOLEAN NOT NULL DEFAULT 0,"
        " processing_restricted BOOLEAN NOT NULL DEFAULT 0)",
        "CREATE TABLE service_notes (id INTEGER PRIMARY KEY,"
        " contact_id INTEGER REFERENCES contacts(id), written_at DATETIME, topic TEXT, note TEXT,"
        " processing_restricted BOOLEAN NOT NULL DEFAULT 0)",
    ],
    "billing": [
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_no TEXT, email TEXT,"
        " name TEXT, street TEXT, city TEXT, payment_method TEXT,"
        " processing_restricted BOOLEAN NOT NULL DEFAULT 0)",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY,"
        " customer_id INTEGER REFERENCES customers(id), number TEXT, issued_on DATE,"
        " amount NUMERIC, currency TEXT, processing_restricted BOOLEAN NOT NULL DEFAULT 0)",
    ],
    "chat": [
        "CREATE TABLE chats (id INTEGER PRIMARY KEY, email TEXT, started_at DATETIME,"
        " duration_seconds INTEGER, topic TEXT, agent TEXT)",
        "CREATE TABLE chat_messages (id INTEGER PRIMARY KEY, chat_id INTEGER REFERENCES chats(id),"
        " sent_at DATETIME, sender TEXT, text TEXT)",
    ],
}

NOTES = [
    ("Onboarding", "Tenant set up in eu-de; the customer asked about ECS flavours."),
    ("Support", "Called about a failed OBS upload; resolved by renewing the access key."),
    ("Contract", "Asked to move from pay-as-you-go to a reserved package from next quarter."),
]
CHAT = [
    ("visitor", "Hello, my invoice shows two ECS instances but I only run one."),
    (
        "agent",
        "Thanks for waiting. The second instance was stopped, not deleted: stopped "
        "instances keep their disk, which is billed.",
    ),
    ("visitor", "Ah, I see. Then I will delete it. Thank you!"),
]


def _rows(now: datetime) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every table's rows; chat times are relative to ``now`` (UTC, naive as SQLite keeps it)."""
    contacts: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    customers: list[dict[str, Any]] = []
    invoices: list[dict[str, Any]] = []
    chats: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for n, (email, name, number, phone, street, city) in enumerate(PEOPLE, start=1):
        contacts.append(
            {
                "id": n,
                "customer_no": number,
                "email": email,
                "name": name,
                "phone": phone,
                "street": street,
                "city": city,
                "product": "Open Telekom Cloud",
                "tenant": f"eu-de_{number.lower().replace('-', '')}",
                "customer_since": date(2019 + n % 5, 1 + n % 12, 1),
                "marketing_opt_out": n % 3 == 0,
            }
        )
        for k, (topic, note) in enumerate(NOTES[: 1 + n % 3]):
            notes.append(
                {
                    "id": n * 10 + k,
                    "contact_id": n,
                    "written_at": datetime(2025, 1 + k * 4, 1 + n % 28, 10, 15),
                    "topic": topic,
                    "note": note,
                }
            )
        customers.append(
            {
                "id": n,
                "customer_no": number,
                "email": email,
                "name": name,
                "street": street,
                "city": city,
                "payment_method": "SEPA direct debit" if n % 2 else "Credit card",
            }
        )
        # Monthly invoices over the last years: the old ones are past the 8-year duty.
        for k, year in enumerate((2016, 2017, 2024, 2025, 2026)):
            invoices.append(
                {
                    "id": n * 100 + k,
                    "customer_id": n,
                    "number": f"RE-{year}-{n:04d}{k}",
                    "issued_on": date(year, 3, 1),
                    "amount": f"{39 + n * 10 + k}.90",
                    "currency": "EUR",
                }
            )
    # Erika chatted three days ago and an hour ago. The chat system's own rule deletes content
    # after 24 hours, but the three-day-old messages are still in its database: they are
    # answered (and flagged to the officer). Someone's chat from 40 days ago has no content.
    chat_rows: tuple[tuple[int, str | None, datetime, str], ...] = (
        (1, DEMO_SUBJECT, now - timedelta(days=3), "Invoice question"),
        (2, DEMO_SUBJECT, now - timedelta(hours=1), "Invoice question"),
        (3, "lukas.becker@example.de", now - timedelta(hours=5), "Password reset"),
        (4, None, now - timedelta(days=40), "Quota increase"),
    )
    for chat_id, visitor, started, topic in chat_rows:
        chats.append(
            {
                "id": chat_id,
                "email": visitor,
                "started_at": started,
                "duration_seconds": 420,
                "topic": topic,
                "agent": "Agent 17",
            }
        )
        if started > now - timedelta(days=28):
            for k, (sender, line) in enumerate(CHAT):
                messages.append(
                    {
                        "id": chat_id * 10 + k,
                        "chat_id": chat_id,
                        "sent_at": started + timedelta(minutes=k),
                        "sender": sender,
                        "text": line,
                    }
                )
    return {
        "crm": {"contacts": contacts, "service_notes": notes},
        "billing": {"customers": customers, "invoices": invoices},
        "chat": {"chats": chats, "chat_messages": messages},
    }


def _create(path: Path, system: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    with engine.begin() as conn:
        for statement in SCHEMAS[system]:
            conn.execute(text(statement))
        for table, records in rows.items():
            if records:
                columns = list(records[0])
                conn.execute(
                    text(
                        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our names)
                        f"VALUES ({', '.join(':' + c for c in columns)})"
                    ),
                    records,
                )
    engine.dispose()
    partial.rename(path)  # a crash half-way leaves no half-built system behind


def systems_config(folder: Path) -> dict[str, Any]:
    """The connector configuration of the three demo systems (as in DSR_CONNECTORS_FILE)."""
    sql = "connectors.backends.sql.SQLConnector"
    return {
        "systems": {
            "crm": {
                "backend": sql,
                "name": "CRM",
                "category": "crm",
                "activities": ["contract-data", "customer-communication"],
                "options": {"url": f"sqlite:///{folder / 'crm.sqlite3'}", "mapping": CRM_MAPPING},
            },
            "billing": {
                "backend": sql,
                "name": _label("Billing", "Abrechnung", "Facturatie"),
                "category": "billing",
                "stage": 1,
                "activities": ["billing"],
                "options": {
                    "url": f"sqlite:///{folder / 'billing.sqlite3'}",
                    "mapping": BILLING_MAPPING,
                },
            },
            "chat": {
                "backend": sql,
                "name": _label("Support chat", "Support-Chat", "Supportchat"),
                "category": "chat",
                "activities": ["customer-service-chat"],
                "options": {
                    "url": f"sqlite:///{folder / 'chat.sqlite3'}",
                    "mapping": CHAT_MAPPING,
                },
            },
        }
    }


def saas_systems(salesforce: str, stripe: str, zendesk: str) -> dict[str, Any]:
    """The fake SaaS APIs of ``manage.py dsr_fake_saas``, as connector configuration."""
    oauth = {"client_id": "dsr", "client_secret": "s3cret"}  # the fakes' own credentials
    return {
        "salesforce": {
            "backend": "connectors.backends.salesforce.SalesforceConnector",
            "name": "Salesforce (CRM)",
            "category": "crm",
            "options": {
                "base_url": salesforce,
                "token_url": f"{salesforce}/services/oauth2/token",
                **oauth,
            },
        },
        "stripe": {
            "backend": "connectors.backends.stripe_billing.StripeConnector",
            "name": _label("Stripe (billing)", "Stripe (Abrechnung)", "Stripe (facturatie)"),
            "category": "billing",
            "activities": ["billing"],
            "options": {"api_key": "sk_test_dsr", "api_base": stripe},
        },
        "zendesk": {
            "backend": "connectors.backends.zendesk.ZendeskConnector",
            "name": _label(
                "Zendesk (support chat)", "Zendesk (Support-Chat)", "Zendesk (supportchat)"
            ),
            "category": "chat",
            "activities": ["customer-service-chat"],
            "options": {"base_url": zendesk, "token_url": f"{zendesk}/oauth/tokens", **oauth},
        },
    }


def _write(path: Path, config: dict[str, Any]) -> None:
    path.write_text(
        "# Written by `manage.py dsr_demo`: the demo's source systems.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )


def build(folder: Path, *, now: datetime | None = None) -> Path:
    """Create the databases that are missing and (re)write the configurations: returns the
    path of ``connectors.yaml`` (the three SQL systems); ``connectors-saas.yaml`` beside it
    adds the fake Salesforce, Stripe and Zendesk APIs."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = _rows((now or datetime.now(UTC)).replace(tzinfo=None))
    for system in SCHEMAS:
        path = folder / f"{system}.sqlite3"
        if not path.exists():
            _create(path, system, rows[system])
    config = systems_config(folder)
    _write(folder / "connectors.yaml", config)
    urls = (f"http://127.0.0.1:{SAAS_PORT + n}" for n in range(3))
    with_saas = {"systems": {**config["systems"], **saas_systems(*urls)}}
    _write(folder / "connectors-saas.yaml", with_saas)
    return folder / "connectors.yaml"
