"""Three source systems as real databases: a CRM, a billing system and a support chat.

Each holds the subject (Erika), a decoy whose address differs only slightly, and strangers.
Used by the SQL connector's tests, the contract suite and the fan-out tests.
"""

import os
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    text,
)
from sqlalchemy.engine import make_url

SUBJECT = "erika.mustermann@example.org"
DECOY = "erika.mustermann@example.org.evil"  # a similar address that must never match
CUSTOMER_NO = "K-100042"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
POSTGRES = os.environ.get("DSR_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432")
MARIADB = os.environ.get("DSR_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")

CRM_MAPPING: dict[str, Any] = {
    "tables": [
        {
            "name": "contacts",
            "category": "contact",
            "identity": {"email": "email", "customer_number": "customer_no"},
            "provides": {"customer_number": "customer_no"},
            "erasure": "delete",
            "restriction_column": "processing_restricted",
            "objection_columns": {"direct_marketing": "marketing_opt_out"},
            "rectifiable": ["name", "phone"],
            "statement_column": "dsr_statement",
            "provided": ["email", "name", "phone"],
        },
        {
            "name": "notes",
            "category": "service_notes",
            "parent": "contacts",
            "parent_key": "contact_id",
            "erasure": "delete",
        },
    ]
}

BILLING_MAPPING: dict[str, Any] = {
    "tables": [
        {
            "name": "customers",
            "category": "billing_account",
            "identity": {"email": "email", "customer_number": "customer_no"},
            "erasure": "anonymise",
            "anonymise": {"email": "hash", "name": "fixed:Erased", "street": None},
            "restriction_column": "processing_restricted",
            "kept_as": "customer records",
        },
        {
            "name": "invoices",
            "category": "invoices",
            "parent": "customers",
            "parent_key": "customer_id",
            "erasure": "delete",
            "restriction_column": "processing_restricted",
            "retention": {
                "date_column": "issued_on",
                "years": 10,
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
            "name": "conversations",
            "category": "chat_sessions",
            "identity": {"email": "visitor_email"},
            "erasure": "delete",
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


def schema() -> MetaData:
    metadata = MetaData()
    Table(
        "contacts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(200)),
        Column("name", String(200)),
        Column("phone", String(40)),
        Column("customer_no", String(40)),
        Column("marketing_opt_out", Boolean, default=False),
        Column("processing_restricted", Boolean, default=False),
        Column("created_at", DateTime),
        Column("dsr_statement", Text),
    )
    Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("contact_id", Integer, ForeignKey("contacts.id")),
        Column("body", Text),
    )
    Table(
        "newsletter",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(200)),
        Column("topics", String(200)),
    )
    Table(
        "customers",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_no", String(40)),
        Column("email", String(200)),
        Column("name", String(200)),
        Column("street", String(200)),
        Column("processing_restricted", Boolean, default=False),
    )
    Table(
        "invoices",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", Integer, ForeignKey("customers.id")),
        Column("number", String(40)),
        Column("amount", Numeric(10, 2)),
        Column("issued_on", Date),
        Column("processing_restricted", Boolean, default=False),
    )
    Table(
        "conversations",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("visitor_email", String(200)),
        Column("started_at", DateTime),
    )
    Table(
        "messages",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("conversation_id", Integer, ForeignKey("conversations.id")),
        Column("sender", String(40)),
        Column("text", Text),
    )
    return metadata


def database_url(engine: str, name: str, tmp_path: Any = None) -> str:
    """A fresh, empty database of the given engine for one test, named after the worker."""
    database = f"dsr_src_{WORKER}_{name}"
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / (database + '.sqlite3')}"
    base = POSTGRES if engine == "postgresql" else MARIADB
    admin = create_engine(
        f"{base}/{'postgres' if engine == 'postgresql' else 'mysql'}",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        force = " WITH (FORCE)" if engine == "postgresql" else ""  # pools of earlier tests
        conn.execute(text(f"DROP DATABASE IF EXISTS {database}{force}"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    return str(make_url(f"{base}/{database}").render_as_string(hide_password=False))


def seed(url: str, *, subject_rows: int = 3, others: int = 5) -> None:
    """Create the tables and fill them: the subject, the decoy, and ``others`` strangers."""
    engine = create_engine(url)
    metadata = schema()
    metadata.drop_all(engine)
    metadata.create_all(engine)
    t = metadata.tables
    today = date.today()
    people = [(SUBJECT, CUSTOMER_NO, "Erika Mustermann"), (DECOY, "K-999999", "Eve Decoy")]
    people += [(f"person{i}@example.org", f"K-{500 + i}", f"Person {i}") for i in range(others)]
    with engine.begin() as conn:
        for index, (email, customer_no, name) in enumerate(people, start=1):
            conn.execute(
                t["contacts"].insert(),
                {
                    "id": index,
                    "email": email.upper() if email == SUBJECT else email,  # case must not matter
                    "name": name,
                    "phone": f"+49 221 {index:06d}",
                    "customer_no": customer_no,
                    "marketing_opt_out": False,
                    "processing_restricted": False,
                    "created_at": datetime(2024, 1, index % 28 + 1, 9, 0),
                },
            )
            conn.execute(
                t["newsletter"].insert(),
                {"id": index, "email": email, "topics": "offers"},
            )
            conn.execute(
                t["notes"].insert(),
                [
                    {"id": index * 100 + n, "contact_id": index, "body": f"Note {n} about {name}"}
                    for n in range(subject_rows)
                ],
            )
            # Billing knows the customer number; its e-mail may be missing or outdated.
            conn.execute(
                t["customers"].insert(),
                {
                    "id": index,
                    "customer_no": customer_no,
                    "email": None if email == SUBJECT else email,
                    "name": name,
                    "street": f"Street {index}",
                    "processing_restricted": False,
                },
            )
            invoices = [
                # One long past its retention period, the others still kept by law.
                {"issued_on": date(today.year - 12, 3, 1)},
                {"issued_on": date(today.year - 2, 6, 30)},
                {"issued_on": today - timedelta(days=40)},
            ]
            conn.execute(
                t["invoices"].insert(),
                [
                    {
                        "id": index * 100 + n,
                        "customer_id": index,
                        "number": f"INV-{index}-{n}",
                        "amount": "49.90",
                        "issued_on": invoice["issued_on"],
                        "processing_restricted": False,
                    }
                    for n, invoice in enumerate(invoices)
                ],
            )
            conn.execute(
                t["conversations"].insert(),
                {"id": index, "visitor_email": email, "started_at": datetime(2025, 5, 5, 10, 0)},
            )
            conn.execute(
                t["messages"].insert(),
                [
                    {
                        "id": index * 100 + n,
                        "conversation_id": index,
                        "sender": "visitor",
                        "text": f"Hello {n}",
                    }
                    for n in range(subject_rows)
                ],
            )
    engine.dispose()


def rows(url: str, table: str, where: str = "1=1") -> list[dict[str, Any]]:
    engine = create_engine(url)
    query = text(f"SELECT * FROM {table} WHERE {where}")  # noqa: S608 (test-only, fixed strings)
    with engine.connect() as conn:
        result = [dict(r._mapping) for r in conn.execute(query)]
    engine.dispose()
    return result


def systems(crm: str, billing: str, chat: str, **extra: Any) -> dict[str, Any]:
    """DSR_CONNECTORS for the three systems (billing runs after the CRM found the number)."""
    return {
        "crm": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "CRM",
            "CATEGORY": "crm",
            "OPTIONS": {"url": crm, "mapping": CRM_MAPPING, "batch_size": 2},
            "RECIPIENTS": ["Salesforce, Inc. (processor)"],
            **extra.get("crm", {}),
        },
        "billing": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Billing",
            "CATEGORY": "billing",
            "STAGE": 1,
            "OPTIONS": {"url": billing, "mapping": BILLING_MAPPING},
            "RECIPIENTS": ["DATEV eG (tax adviser's processor)"],
            **extra.get("billing", {}),
        },
        "chat": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Support chat",
            "CATEGORY": "chat",
            "OPTIONS": {"url": chat, "mapping": CHAT_MAPPING},
            **extra.get("chat", {}),
        },
    }
