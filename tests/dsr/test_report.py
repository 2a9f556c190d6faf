"""The access report a person can read, and the package's README, in the request's language."""

import io
import json
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation
from sqlalchemy import create_engine, text

from connectors import registry
from connectors.base import Column, Kind
from dsr.core.crypto import encrypt_bytes
from dsr.exports.package import BOM, read_package
from dsr.exports.report import render
from dsr.exports.values import show
from dsr.models import AnswerPackage, ProcessingActivity, Status, SubjectRequest
from dsr.services import verification
from tests.connectors import sources
from tests.factories import submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "erika.mustermann@example.org"
ORDER_COLUMNS = (
    "id",
    "email",
    "item",
    "amount",
    "currency",
    "ordered_at",
    "delivered_on",
    "paid",
    "gift_note",
    "street",
    "city",
    "postcode",
    "country_code",
    "phone",
)
MAPPING = {
    "tables": [
        {
            "name": "orders",
            "category": "orders",
            "label": {"en": "Orders", "de": "Bestellungen", "nl": "Bestellingen"},
            "identity": {"email": "email"},
            "labels": {
                "amount": {"en": "Amount", "de": "Betrag", "nl": "Bedrag"},
                "ordered_at": {"en": "Ordered at", "de": "Bestellt am", "nl": "Besteld op"},
                "gift_note": "Geschenknotiz",
            },
            "money": {"amount": {"currency_column": "currency"}},
        },
        {
            "name": "logins",
            "category": "logins",
            "identity": {"email": "email"},
        },
    ]
}


@pytest.fixture
def shop(settings, tmp_path):
    url = sources.database_url("sqlite", "report", tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, item TEXT,"
                " amount NUMERIC, currency TEXT, ordered_at DATETIME, delivered_on DATE,"
                " paid BOOLEAN, gift_note TEXT, street TEXT, city TEXT, postcode TEXT,"
                " country_code TEXT, phone TEXT)"
            )
        )
        conn.execute(text("CREATE TABLE logins (id INTEGER PRIMARY KEY, email TEXT, ip TEXT)"))
        conn.execute(
            text(
                "INSERT INTO orders VALUES (7, :e, 'Reisekoffer', 49.9, 'EUR',"
                " '2026-03-01 12:00:00.123456', '2026-03-04', 1, 'Alles Gute, Max',"
                " 'Hauptstraße 5', 'Köln', '50667', 'DE', '0221 555 0101')"
            ),
            {"e": SUBJECT},
        )
        conn.execute(text("INSERT INTO logins VALUES (1, :e, '192.0.2.7')"), {"e": SUBJECT})
    engine.dispose()
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "Shop",
            "ACTIVITIES": ["contract-data"],
            "OPTIONS": {"url": url, "mapping": MAPPING},
        }
    }
    registry.reset()
    yield url
    registry.reset()


def answered(outbox, language="en"):
    item = submit(email=SUBJECT, language=language)
    verification.verify_with_code(item, code_in(outbox.last_to(SUBJECT)))
    package = AnswerPackage.objects.get(request=item)
    # Done with: the next request of the same person is new work, not a duplicate of this one.
    SubjectRequest.objects.filter(pk=item.pk).update(status=Status.COMPLETED)
    return zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


def flat(pdf: bytes) -> str:
    """The PDF's words in one line (tables and wrapping put them on several)."""
    return " ".join(pdf_text(pdf).split())


def test_every_column_of_a_wide_record_is_in_the_report_under_its_label(shop, outbox):
    archive = answered(outbox)
    shown = flat(archive.read("report.pdf"))
    for column in ORDER_COLUMNS:
        assert column in shown, column  # all 14, the technical name in small print
    assert "Amount" in shown
    assert "Ordered at" in shown
    assert "Geschenknotiz" in shown  # a plain label is the same in every language
    assert "Orders" in shown
    assert "Reisekoffer" in shown
    assert "0221 555 0101" in shown
    assert "192.0.2.7" in shown  # the narrow table too


def test_money_dates_and_booleans_read_as_a_german_reader_expects(shop, outbox):
    shown = flat(answered(outbox, language="de").read("report.pdf"))
    assert "49,90 €" in shown
    assert "49.9000000000" not in shown
    assert "4. März 2026" in shown  # a date, not 2026-03-04
    assert "1. März 2026 13:00" in shown  # 12:00 UTC is 13:00 in Berlin; no microseconds
    assert "2026-03" not in shown
    assert "ja" in shown.split()
    assert "Bestellungen" in shown
    assert "Betrag" in shown


def test_the_report_is_wholly_in_the_requests_language(shop, outbox):
    from dsr.demo import load_demo

    load_demo()  # a controller, authorities and a register with German and Dutch texts
    template = (ROOT / "templates/reports/access_report.html").read_text()
    sources_ = re.findall(r'{% translate "(.+?)" %}', template) + re.findall(
        r"{% blocktranslate[^%]*%}(.+?){% (?:plural|endblocktranslate) %}", template
    )
    fragments = {
        part.strip(" .:;,")
        for source in sources_
        for part in re.split(r"{{.*?}}", source)
        if len(part.strip(" .:;,").split()) >= 2 or len(part.strip(" .:;,")) >= 5
    }
    assert len(fragments) > 20  # the extraction found the template's sentences
    english = flat(answered(outbox).read("report.pdf"))
    assert "Purpose (Art. 15(1)(a))" in english  # the check can fail
    contract = ProcessingActivity.objects.get(key="contract-data")
    register_texts = [contract.name, contract.purpose, contract.data_categories]
    register_texts += [contract.retention, contract.recipients.get().safeguard_detail]
    for english_text in register_texts:
        assert " ".join(english_text.split())[:40] in english, english_text
    for language in ("de", "nl"):
        shown = flat(answered(outbox, language=language).read("report.pdf"))
        left = sorted(f for f in fragments if re.search(rf"\b{re.escape(f)}\b", shown))
        assert not left, (language, left)
        assert "Consent (Art. 6" not in shown
        assert "Contract (Art. 6" not in shown
        assert " yes " not in f" {shown} "
        assert " no " not in f" {shown} "
        assert "Germany" not in shown  # the letterhead's country line, as given for it
        assert {"de": "Deutschland", "nl": "Duitsland"}[language] in shown


def test_a_csv_starts_with_a_byte_order_mark_only_when_configured(shop, outbox, settings):
    archive = answered(outbox)
    csvs = [n for n in archive.namelist() if n.endswith(".csv")]
    assert len(csvs) == 2
    assert not any(archive.read(n).startswith(BOM) for n in csvs)
    settings.DSR_CSV_BOM = True
    archive = answered(outbox)
    for name in csvs:
        body = archive.read(name)
        assert body.startswith(BOM), name
        assert body[len(BOM) :].decode().startswith("id,email")  # the header follows
    assert "byte order mark" in archive.read("README.txt").decode()


def test_the_readme_says_what_each_file_is_in_the_requests_language(shop, outbox):
    import hashlib

    archive = answered(outbox, language="nl")
    readme = archive.read("README.txt").decode()
    manifest = json.loads(archive.read("manifest.json"))
    entry = manifest["files"]["README.txt"]
    assert hashlib.sha256(archive.read("README.txt")).hexdigest() == entry["sha256"]
    for name in ("report.pdf", "data/shop/orders.csv", "data/shop/logins.csv", "data.json"):
        assert name in readme, name
    assert "schema.json" in readme
    assert "manifest.json" in readme
    assert "Bestellingen" in readme  # the category's Dutch label
    assert "Dit bestand." in readme
    assert "This file." not in readme
    english = answered(outbox).read("README.txt").decode()
    assert "This file." in english


def stored_part(records):
    name = default_storage.save(
        "exports/test.jsonl.enc",
        ContentFile(encrypt_bytes("\n".join(json.dumps(r) for r in records).encode())),
    )
    return SimpleNamespace(pk=0, storage_name=name, records=len(records), redact=None)


def test_vendor_metadata_is_left_out_and_stripe_cents_and_seconds_are_converted(settings):
    settings.DSR_CONNECTORS = {
        "sf": {
            "BACKEND": "connectors.backends.salesforce.SalesforceConnector",
            "NAME": "Salesforce",
            "OPTIONS": {
                "base_url": "http://127.0.0.1:9",
                "token_url": "http://127.0.0.1:9/services/oauth2/token",
                "client_id": "x",
                "client_secret": "y",
            },
        },
        "stripe": {
            "BACKEND": "connectors.backends.stripe_billing.StripeConnector",
            "NAME": "Stripe",
            "OPTIONS": {"api_key": "sk_test_x", "api_base": "http://127.0.0.1:9"},
        },
    }
    registry.reset()
    contact = {
        "attributes": {"type": "Contact", "url": "/services/data/v60.0/sobjects/Contact/003"},
        "Id": "003000000000000001",
        "FirstName": "Erika",
        "Email": SUBJECT,
    }
    charge = {
        "id": "ch_000001",
        "object": "charge",
        "livemode": False,
        "amount": 4990,
        "currency": "eur",
        "created": 1772366400,  # 2026-03-01 12:00 UTC
        "paid": True,
        "refunds": {"object": "list", "data": [{"object": "refund", "amount": 0}]},
    }
    item = submit(email=SUBJECT, language="de")
    grouped = {("sf", "contacts"): [stored_part([contact])]}
    grouped[("stripe", "charges")] = [stored_part([charge])]
    manifest = {"systems": {"sf": {"status": "found", "records": 1}}}
    manifest["systems"]["stripe"] = {"status": "found", "records": 1}
    try:
        shown = flat(render(item, manifest, grouped))
    finally:
        registry.reset()
    assert "attributes" not in shown
    assert "sobjects" not in shown
    assert "livemode" not in shown
    assert "object" not in shown  # neither the field nor inside the nested list
    assert "Vorname" in shown
    assert "Erika" in shown
    assert "49,90 €" in shown
    assert "4990" not in shown
    assert "1. März 2026 13:00" in shown
    assert "1772366400" not in shown
    assert "Zahlungen" in shown  # the category's label
    assert "data: amount: 0" in shown  # nested: the data stays, Stripe's type names go


@pytest.mark.parametrize(
    ("language", "value", "column", "expected"),
    [
        ("de", "49.9000000000", Column(kind=Kind.MONEY, currency="EUR"), "49,90 €"),
        ("nl", Decimal("1234.5"), Column(kind=Kind.MONEY, currency="EUR"), "€ 1.234,50"),
        ("en", 4990, Column(kind=Kind.MONEY, currency="usd", minor_units=True), "$49.90"),
        ("en", 500, Column(kind=Kind.MONEY, currency="JPY", minor_units=True), "JPY 500"),
        ("de", 12, Column(kind=Kind.MONEY, currency="CHF"), "12,00 CHF"),
        ("de", True, None, "ja"),
        ("nl", False, None, "nee"),
        ("en", None, None, "—"),
        ("de", "2025-01-31", None, "31. Januar 2025"),
        ("nl", "2025-01-31T23:30:00", None, "1 februari 2025 00:30"),
        ("de", "2025-07-01T10:00:00.000+0000", Column(kind=Kind.DATETIME), "1. Juli 2025 12:00"),
        ("de", "RE-2016-00010", None, "RE-2016-00010"),
        ("en", 1715550123, None, "1715550123"),
        ("de", {"city": "Köln", "vip": False}, None, "city: Köln; vip: nein"),
    ],
)
def test_values_are_written_by_type(language, value, column, expected):
    with translation.override(language):
        record = {"currency": "eur"}
        assert show(value, column, record, time_zone=ZoneInfo("Europe/Berlin")) == expected


def test_the_report_names_one_competent_authority_as_the_letters_do(shop, outbox):
    from dsr.demo import load_demo

    load_demo()  # BfDI for telecommunications, LDI NRW for everything else
    shown = flat(answered(outbox, language="de").read("report.pdf"))
    assert "(LDI NRW)" in shown
    assert "(BfDI)" not in shown


def test_a_small_category_is_printed_whole_and_a_large_one_as_an_example():
    from dsr.exports.report import SAMPLE_ROWS, TABLE_ROWS

    item = submit(email=SUBJECT, language="nl")
    small = [{"id": n, "item": f"Koffer {n}"} for n in range(1, TABLE_ROWS + 1)]
    large = [{"id": n, "body": f"Bericht {n}"} for n in range(1, 4 * TABLE_ROWS)]
    grouped = {
        ("shop", "orders"): [stored_part(small)],
        ("shop", "messages"): [stored_part(large)],
    }
    manifest = {"systems": {"shop": {"status": "found", "records": len(small) + len(large)}}}

    shown = flat(render(item, manifest, grouped))

    assert all(f"Koffer {n}" in shown for n in range(1, TABLE_ROWS + 1))
    assert shown.count("te veel om ze hier allemaal af te drukken") == 1  # the large one
    printed = [n for n in range(1, len(large) + 1) if f"Bericht {n} " in shown + " "]
    assert printed == list(range(1, SAMPLE_ROWS + 1))
    assert (
        f"{len(large)} records: te veel om ze hier allemaal af te drukken. De eerste "
        f"{SAMPLE_ROWS} volgen; ze staan allemaal in het bestand data/shop/messages.csv."
    ) in shown
