"""The answer package from a real access request: manifest, CSV, JSON + schema, encryption."""

import csv
import hashlib
import io
import json
import zipfile

import jsonschema
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from connectors import registry
from dsr.core.files import FileRefused
from dsr.core.tokens import status_token
from dsr.demo_register import load_register
from dsr.exports.package import neutralise, read_package
from dsr.models import AnswerPackage
from dsr.services import verification
from tests.connectors import sources
from tests.factories import PASSWORD, make_officer, submit
from tests.form_markup import by_id, elements, label_for
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def crm(settings, tmp_path):
    url = sources.database_url("sqlite", "package", tmp_path)
    sources.seed(url)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE notes SET body = :f WHERE id = 100"), {"f": FORMULA})
    engine.dispose()
    settings.DSR_CONNECTORS = {
        "crm": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "CRM",
            "OPTIONS": {"url": url, "mapping": sources.CRM_MAPPING, "batch_size": 2},
        }
    }
    registry.reset()
    yield url
    registry.reset()


def answered(outbox, right="access", email=sources.SUBJECT):
    item = submit(right=right, email=email)
    verification.verify_with_code(item, code_in(outbox.last_to(email)))
    return AnswerPackage.objects.get(request=item)


def unpack(package):
    return zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))


def test_the_package_holds_the_data_with_a_manifest_that_checks_out(crm, outbox):
    package = answered(outbox)
    archive = unpack(package)
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["files"]) == {
        "data/crm/contact.csv",
        "data/crm/service_notes.csv",
        "data.json",
        "schema.json",
        "report.pdf",
        "README.txt",
    }
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    assert manifest["systems"]["crm"]["status"] == "found"
    assert manifest["systems"]["crm"]["categories"] == {"contact": 1, "service_notes": 3}

    notes = list(csv.DictReader(io.StringIO(archive.read("data/crm/service_notes.csv").decode())))
    expected = sources.rows(crm, "notes", "contact_id = 1")
    assert [int(r["id"]) for r in notes] == [r["id"] for r in expected]
    assert notes[0]["body"] == "'" + FORMULA  # neutralised for spreadsheets
    assert [r["body"] for r in notes[1:]] == [r["body"] for r in expected[1:]]

    data = json.loads(archive.read("data.json"))
    jsonschema.validate(data, json.loads(archive.read("schema.json")))
    assert data["systems"]["crm"]["service_notes"][0]["body"] == FORMULA  # JSON keeps the value
    assert sources.DECOY not in archive.read("data.json").decode()


def test_the_stored_package_cannot_be_read_without_the_key(crm, outbox, settings):
    package = answered(outbox)
    with default_storage.open(package.storage_name, "rb") as handle:
        stored = handle.read()
    assert not stored.startswith(b"PK")
    assert b"Mustermann" not in stored
    settings.DSR_ENCRYPTION_KEYS = ["q0NwJ1Cm0bZC8S6l6cY6c0ZQyS8QvJ5rW4rYp2bX1xI="]
    with pytest.raises(FileRefused, match="integrity check"):
        b"".join(read_package(package))


def test_nobody_found_means_an_explicit_no_data_answer(crm, outbox):
    package = answered(outbox, email="nobody@example.org")
    manifest = json.loads(unpack(package).read("manifest.json"))
    assert manifest["no_personal_data"] is True
    assert manifest["systems"]["crm"]["status"] == "not found"


def test_a_portability_package_holds_only_what_the_subject_provided(crm, outbox, settings):
    load_register()  # the CRM's activity rests on the contract
    mapping = {
        "tables": [
            sources.CRM_MAPPING["tables"][0],
            # The notes are the staff's: their text is inferred, not provided.
            {**sources.CRM_MAPPING["tables"][1], "inferred": ["body"]},
        ]
    }
    settings.DSR_CONNECTORS["crm"]["OPTIONS"]["mapping"] = mapping
    registry.reset()
    package = answered(outbox, right="portability")
    archive = unpack(package)
    assert set(archive.namelist()) == {
        "data/crm/contact.csv",
        "data/crm/service_notes.csv",
        "data.json",
        "schema.json",
        "manifest.json",
        "README.txt",
    }  # no report.pdf: Art. 20 answers are data
    header = archive.read("data/crm/contact.csv").decode().splitlines()[0]
    assert header.split(",") == ["email", "name", "phone"]  # no customer number, no flags
    notes = archive.read("data/crm/service_notes.csv").decode().splitlines()
    assert "body" not in notes[0].split(",")
    assert len(notes) == 1 + 3
    data = json.loads(archive.read("data.json"))
    assert set(data["systems"]["crm"]["contact"][0]) == {"email", "name", "phone"}
    assert all("body" not in note for note in data["systems"]["crm"]["service_notes"])
    assert FORMULA not in archive.read("data.json").decode()
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["portability"] is True
    assert manifest["no_personal_data"] is False
    excluded = {(e["category"], e["reason"]): e for e in manifest["excluded"]}
    assert excluded[("service_notes", "inferred")]["fields"] == ["body"]
    assert "email" not in excluded[("contact", "inferred")]["fields"]
    readme = archive.read("README.txt").decode()
    assert "Not in this archive, and why:" in readme
    assert "not data we inferred, derived or created ourselves" in readme


def test_a_portability_answer_leaves_out_data_on_another_legal_basis_and_says_so(
    crm, outbox, settings
):
    mapping = {
        "tables": [
            {**sources.CRM_MAPPING["tables"][0], "basis": "legitimate_interests"},
            {**sources.CRM_MAPPING["tables"][1], "basis": "legitimate_interests"},
        ]
    }
    settings.DSR_CONNECTORS["crm"]["OPTIONS"]["mapping"] = mapping
    registry.reset()
    item = submit(right="portability", email=sources.SUBJECT, language="de")
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    archive = unpack(AnswerPackage.objects.get(request=item))
    assert not [n for n in archive.namelist() if n.startswith("data/")]
    manifest = json.loads(archive.read("manifest.json"))
    # Found, but not portable: never "no personal data".
    assert manifest["no_personal_data"] is False
    assert manifest["systems"]["crm"]["status"] == "found"
    assert manifest["included"] == []
    assert {(e["category"], e["reason"], e["records"]) for e in manifest["excluded"]} == {
        ("contact", "legal_basis", 1),
        ("service_notes", "legal_basis", 3),
    }
    readme = " ".join(archive.read("README.txt").decode().split())
    assert "Berechtigte Interessen (Art. 6 Abs. 1 lit. f DSGVO)" in readme


def test_a_portability_answer_says_how_many_items_it_left_out_for_other_people(crm, outbox):
    from dsr.services import answers

    load_register()
    officer, _ = make_officer()
    package = answered(outbox, right="portability")
    item = package.request
    answers.redact(
        item,
        officer=officer,
        text="Schmidt",
        reason="Her colleague's name.",
        system="crm",
        category="third_party",
    )
    rebuilt = item.packages.get(deleted_at__isnull=True)
    manifest = json.loads(unpack(rebuilt).read("manifest.json"))
    assert {"system": "crm", "reason": "rights_of_others", "items": 1} in manifest["excluded"]
    answers.release(rebuilt, officer=officer)
    letter = " ".join(outbox.last_to(sources.SUBJECT).body.split())
    assert "CRM: 1 item about another person: Handing it over would adversely affect" in letter
    assert letter.count("right to lodge a complaint") == 1


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1", "'+49 30 1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
        (3, "3"),
        ({"a": 1}, '{"a": 1}'),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(value, cell):
    assert neutralise(value) == cell


def test_the_answer_is_downloaded_only_after_release_by_the_requester_until_it_expires(
    crm, outbox, client
):
    from datetime import timedelta

    import time_machine
    from django.urls import reverse
    from django.utils import timezone

    from dsr.models import EventKind, Status
    from dsr.services import answers
    from tests.factories import make_officer

    officer, _ = make_officer()
    package = answered(outbox)
    item = package.request
    token = status_token(item)
    url = reverse("dsr:download", args=[token, package.pk])
    # Not released yet: nothing to download, even for the requester.
    session = client.session
    session["dsr_status_access"] = {str(item.pk): 9e12}
    session.save()
    assert client.get(url).status_code == 410
    answers.release(package, officer=officer)
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    assert "is ready" in outbox.last_to(sources.SUBJECT).subject

    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == package.sha256
    assert item.events.filter(kind=EventKind.ANSWER_DOWNLOADED).count() == 1

    stranger = client.__class__()  # someone with the link but without the e-mailed code
    assert stranger.get(url).status_code == 302
    other = submit(email="max@example.org")
    other_url = reverse("dsr:download", args=[status_token(other), package.pk])
    assert client.get(other_url).status_code in (302, 410)  # not theirs to take

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        later = client.__class__()  # the old session expired too: the request opened again
        session = later.session
        session["dsr_status_access"] = {str(item.pk): 9e12}
        session.save()
        later.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"  # the person chose German
        expired = later.get(url)
        assert expired.status_code == 410
        assert "nicht mehr verfügbar" in expired.content.decode()
        assert answers.purge_expired() == 1
    package.refresh_from_db()
    assert package.deleted_at is not None
    assert not default_storage.exists(package.storage_name)


def pdf_text(archive):
    import subprocess

    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=archive.read("report.pdf"),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def test_the_report_names_the_controller_and_every_article_15_item(crm, outbox):
    from dsr.demo import load_demo

    load_demo()  # the controller of the seeds and its register
    package = answered(outbox)
    archive = unpack(package)
    assert "report.pdf" in json.loads(archive.read("manifest.json"))["files"]
    from tests.fixtures.browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(archive.read("report.pdf"))  # for the README
    text = pdf_text(archive)
    assert "T-Systems International GmbH" in text
    for item in (
        "Art. 15(1)(a)",
        "Art. 15(1)(b)",
        "Art. 15(1)(c)",
        "Art. 15(1)(d)",
        "Art. 15(1)(g)",
        "Art. 15(1)(h)",
        "Art. 15(1)(e)",
        "Art. 15(2)",
    ):
        assert item in text, item
    assert "Salesforce, Inc." in text  # recipients by name
    assert "LDI NRW" in text  # the one authority competent for this (non-telecom) request
    assert "Erika" in text  # the data itself


def test_a_dutch_request_gets_a_dutch_report(crm, outbox):
    from dsr.demo import load_demo

    load_demo()
    item = submit(email=sources.SUBJECT, language="nl")
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    text = pdf_text(unpack(AnswerPackage.objects.get(request=item)))
    assert "Uw gegevens" in text
    assert "Contractgegevens" in text


def test_the_report_fetches_nothing_from_the_network(crm, outbox, settings):
    from tests.fakes.base import FakeServer

    with FakeServer() as tracker:
        from sqlalchemy import create_engine, text

        engine = create_engine(crm)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE notes SET body = :b WHERE id = 101"),
                {
                    "b": f'<img src="{tracker.url}/pixel.png"><link rel="stylesheet" '
                    f'href="{tracker.url}/x.css">'
                },
            )
        engine.dispose()
        package = answered(outbox)
        assert tracker.log == []  # no request reached the server
    assert "<img src=" in pdf_text(unpack(package))  # shown as text, not as markup


def test_the_url_fetcher_refuses_everything_but_inline_data():
    from dsr.core.pdf import NoNetwork

    with pytest.raises(ValueError, match="fetches nothing"):
        NoNetwork().fetch("http://127.0.0.1:9/x.png")
    with pytest.raises(ValueError, match="fetches nothing"):
        NoNetwork().fetch("file:///etc/passwd")


def test_the_redactor_puts_each_texts_marker_in_every_value_whatever_its_case():
    from dsr.exports.records import redactor

    other, secret = "[other person]", "[trade secret]"
    redact = redactor([("Anna Schmidt", other), ("01715550123", other), ("Anna", secret)])
    assert redact is not None
    record = {
        "body": "Spoke to ANNA SCHMIDT and anna schmidt, then to Anna",
        "phone": 1715550123,
        "other": 1715550123.5,
        "tags": ["x", {"with": "Anna Schmidt"}],
        "flag": True,
        "none": None,
    }
    assert redact(record) == {
        # The longer text wins where both match; each keeps its own marker.
        "body": f"Spoke to {other} and {other}, then to {secret}",
        "phone": 1715550123,  # the number does not contain the text
        "other": 1715550123.5,
        "tags": ["x", {"with": other}],
        "flag": True,
        "none": None,
    }
    by_number = redactor([("1715550123", other)])
    assert by_number is not None
    assert by_number({"phone": 1715550123}) == {"phone": other}
    assert redactor([("  ", other)]) is None


def test_the_officer_redacts_third_party_data_in_every_file_with_a_logged_reason(
    crm, outbox, client
):
    from django.urls import reverse
    from sqlalchemy import create_engine, text

    from dsr.models import EventKind
    from dsr.services import answers
    from tests.factories import PASSWORD, make_officer
    from tests.helpers import login_with_totp

    other = "Anna Schmidt"
    engine = create_engine(crm)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE notes SET body = :b WHERE id = 101"),
            {"b": f"Called back; {other} (her colleague) answered"},
        )
    engine.dispose()
    officer, secret = make_officer()
    package = answered(outbox)
    item = package.request
    assert "Schmidt" in pdf_text(unpack(package))  # before: in the report, like everywhere
    login_with_totp(client, officer.email, PASSWORD, secret)
    preview_url = reverse("staff:case_package", args=[item.reference])
    page = client.get(preview_url).content.decode()
    assert other in page
    assert "data/crm/service_notes.csv" in page

    redact_url = reverse("staff:case_action", args=[item.reference, "redact"])
    refused = client.post(redact_url, {"text": other, "reason": ""}, follow=True)
    assert "Reason" in refused.content.decode()
    assert item.redactions.count() == 0
    assert AnswerPackage.objects.get(pk=package.pk).deleted_at is None  # nothing changed

    reason = "A colleague who is not the data subject (Art. 15(4))."
    client.post(
        redact_url,
        {"text": other.lower(), "system": "crm", "category": "third_party", "reason": reason},
    )
    package.refresh_from_db()
    assert package.deleted_at is not None
    assert not default_storage.exists(package.storage_name)
    rebuilt = item.packages.get(deleted_at__isnull=True)
    archive = unpack(rebuilt)
    for name in archive.namelist():
        body = pdf_text(archive) if name == "report.pdf" else archive.read(name).decode()
        assert "Schmidt" not in body, name
    notes = list(csv.DictReader(io.StringIO(archive.read("data/crm/service_notes.csv").decode())))
    marker = "[withheld: another person's data]"
    assert notes[1]["body"] == f"Called back; {marker} (her colleague) answered"
    data = json.loads(archive.read("data.json"))
    assert data["systems"]["crm"]["service_notes"][1]["body"] == notes[1]["body"]
    assert data["systems"]["crm"]["service_notes"][2]["body"] == "Note 2 about Erika Mustermann"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["redactions"] == {"crm": 1}
    assert manifest["withheld"] == ["third_party"]
    report = " ".join(pdf_text(archive).split())
    assert "What we have withheld" in report
    assert f"{marker}: Art. 15(4) GDPR" in report
    assert reason not in json.dumps(manifest)  # the reason stays in the case log
    event = item.events.get(kind=EventKind.REDACTED)
    assert event.reason == reason
    assert event.actor == officer
    assert "Schmidt" not in json.dumps(event.data)

    page = client.get(preview_url).content.decode()
    assert "[withheld: another person&#x27;s data]" in page
    assert "Another person&#x27;s personal data" in page  # the category, in the table
    assert reason in page
    answers.release(rebuilt, officer=officer)
    letter = outbox.last_to(item.email).body
    assert f"- {marker}: Art. 15(4) GDPR" in letter
    assert "This is a partial refusal of your request." in letter
    assert "right to an effective judicial remedy" in letter
    assert "Schmidt" not in letter
    late = client.post(
        redact_url, {"text": "Erika", "category": "third_party", "reason": "too late"}, follow=True
    )
    assert "already been sent" in late.content.decode()
    assert item.redactions.count() == 1


def test_a_redaction_offers_every_system_or_one_that_took_part(crm, outbox, client):
    officer, secret = make_officer()
    item = answered(outbox).request
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case_package", args=[item.reference])).content.decode()
    assert label_for(page, "id_system") == "System"
    assert "form-select" in by_id(page, "id_system").classes
    select = page[page.index('id="id_system"') :].split("</select>")[0]
    options = [(e.attrs["value"], e.text) for e in elements(select) if e.tag == "option"]
    assert options == [("", "every system"), ("crm", "CRM")]  # by name, not alias

    redact = reverse("staff:case_action", args=[item.reference, "redact"])
    refused = client.post(
        redact, {"text": "Erika", "system": "shop", "reason": "A colleague."}, follow=True
    )
    assert "System: Select a valid choice." in refused.content.decode()
    assert not item.redactions.exists()


# --- the stored file is bound to its package (issue 16) ---------------------------------------


def _stored(package):
    with default_storage.open(package.storage_name, "rb") as handle:
        return handle.read()


def _replace(package, data):
    default_storage.delete(package.storage_name)
    default_storage.save(package.storage_name, io.BytesIO(data))


def _released_download(client, package):
    from dsr.services import answers

    officer, _ = make_officer()
    answers.release(package, officer=officer)
    session = client.session
    session["dsr_status_access"] = {str(package.request_id): 9e12}
    session.save()
    return reverse("dsr:download", args=[status_token(package.request), package.pk])


def _refusals(package):
    from dsr.models import AuditEntry, AuditKind

    return list(
        AuditEntry.objects.filter(kind=AuditKind.FILE_REFUSED, request_id=package.request_id)
    )


def test_another_persons_package_file_put_in_place_is_refused_with_an_audit_entry(
    crm, outbox, client
):
    from dsr.models import EventKind

    mine = answered(outbox)
    theirs = answered(outbox, email="nobody@example.org")
    _replace(mine, _stored(theirs))  # someone with write access to the storage, not the key
    url = _released_download(client, mine)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"  # the person chose German
    response = client.get(url)

    assert response.status_code == 409
    assert "Diese Datei kann nicht zugestellt werden" in response.content.decode()
    assert not mine.request.events.filter(kind=EventKind.ANSWER_DOWNLOADED).exists()
    [entry] = _refusals(mine)
    assert (entry.data["record"], entry.data["id"]) == ("package", mine.pk)
    # Its own file still reads: the check refuses only what is not the package's.
    assert hashlib.sha256(b"".join(read_package(theirs))).hexdigest() == theirs.sha256


def test_a_package_file_cut_short_is_refused(crm, outbox):
    package = answered(outbox)
    _replace(package, _stored(package)[:-40])
    with pytest.raises(FileRefused):
        b"".join(read_package(package))
    assert len(_refusals(package)) == 1


def test_a_package_file_with_its_last_chunk_dropped_is_refused(crm, outbox, monkeypatch):
    from dsr.core import crypto

    monkeypatch.setattr(crypto, "CHUNK", 4096)  # many chunks for a small package
    package = answered(outbox)
    stored = _stored(package)
    _replace(package, stored[: _chunk_offsets(stored)[-1]])  # a whole number of chunks
    with pytest.raises(FileRefused):
        b"".join(read_package(package))


def test_a_package_file_spliced_from_two_packages_is_refused(crm, outbox, monkeypatch):
    from dsr.core import crypto

    monkeypatch.setattr(crypto, "CHUNK", 4096)
    mine = answered(outbox)
    theirs = answered(outbox, email="nobody@example.org")
    a, b = _stored(mine), _stored(theirs)
    # My header and first chunk, then their chunks from the second on.
    spliced = a[: _chunk_offsets(a)[1]] + b[_chunk_offsets(b)[1] :]
    _replace(mine, spliced)
    with pytest.raises(FileRefused):
        b"".join(read_package(mine))


def test_a_package_whose_size_or_hash_differs_from_the_record_is_refused(crm, outbox):
    package = answered(outbox)
    AnswerPackage.objects.filter(pk=package.pk).update(sha256="0" * 64)
    package.refresh_from_db()
    with pytest.raises(FileRefused):
        b"".join(read_package(package))


def test_a_package_stored_in_the_format_before_binding_still_reads(crm, outbox):
    package = answered(outbox)
    clear = b"".join(read_package(package))
    _replace(package, _format_1(clear))
    assert b"".join(read_package(package)) == clear
    assert not _refusals(package)


def _chunk_offsets(stored):
    """Where each chunk of a format 2 file starts."""
    from dsr.core import crypto

    offsets, at = [], len(crypto.MAGIC_V2) + crypto.SALT_BYTES
    while at < len(stored):
        offsets.append(at)
        at += 4 + 12 + int.from_bytes(stored[at : at + 4], "big")
    return offsets


def _format_1(clear, chunk=1024 * 1024):
    """A file as ``encrypt_stream`` wrote it before issue 16 (chunks bound to their index)."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from dsr.core import crypto

    aead = AESGCM(crypto._stream_keys()[0])
    out, index = [crypto.MAGIC], 0
    while True:
        block = clear[index * chunk : (index + 1) * chunk]
        last = len(block) < chunk
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, block, index.to_bytes(8, "big") + (b"L" if last else b"C"))
        out.append(len(sealed).to_bytes(4, "big") + nonce + sealed)
        index += 1
        if last:
            return b"".join(out)


def test_a_column_named_like_a_formula_and_a_category_that_climbs_out_are_neutralised(
    crm, outbox, settings
):
    from sqlalchemy import create_engine, text

    engine = create_engine(crm)
    with engine.begin() as conn:
        conn.execute(text('ALTER TABLE notes ADD COLUMN "=HYPERLINK(""http://evil"")" TEXT'))
    engine.dispose()
    mapping = {
        "tables": [
            sources.CRM_MAPPING["tables"][0],
            {**sources.CRM_MAPPING["tables"][1], "category": "../../x\x07\u202e"},
        ]
    }
    settings.DSR_CONNECTORS["crm"]["OPTIONS"]["mapping"] = mapping
    registry.reset()
    archive = unpack(answered(outbox))

    names = archive.namelist()
    [notes] = [n for n in names if n.startswith("data/") and n != "data/crm/contact.csv"]
    assert notes == "data/crm/_.._x.csv"  # a name in its system's folder, nothing more
    for name in names:
        assert ".." not in name.split("/")
        assert not name.startswith("/")
        assert name.isprintable()
    header = next(csv.reader(io.StringIO(archive.read(notes).decode())))
    assert '\'=HYPERLINK("http://evil")' in header
    assert '=HYPERLINK("http://evil")' not in header
    manifest = json.loads(archive.read("manifest.json"))
    assert notes in manifest["files"]


def test_a_redaction_is_withdrawn_before_release_and_the_package_built_again_without_it(
    crm, outbox
):
    from dsr.core.errors import RequestError
    from dsr.models import EventKind
    from dsr.services import answers

    officer, _ = make_officer()
    package = answered(outbox)
    item = package.request
    answers.redact(item, officer=officer, text="Erika", reason="Too wide, as it turned out.")
    redacted = item.packages.get(deleted_at__isnull=True)
    assert "Erika" not in unpack(redacted).read("data.json").decode()
    redaction = item.redactions.get()
    with pytest.raises(RequestError, match="reason"):
        answers.withdraw_redaction(redaction, officer=officer, reason="  ")

    answers.withdraw_redaction(redaction, officer=officer, reason="It was her own name.")
    assert not item.redactions.exists()
    redacted.refresh_from_db()
    assert redacted.deleted_at is not None
    assert not default_storage.exists(redacted.storage_name)
    rebuilt = item.packages.get(deleted_at__isnull=True)
    archive = unpack(rebuilt)
    assert "Erika" in archive.read("data.json").decode()
    assert not json.loads(archive.read("manifest.json")).get("redactions")
    event = item.events.get(kind=EventKind.REDACTION_WITHDRAWN)
    assert (event.actor, event.reason) == (officer, "It was her own name.")
    assert "Erika" not in json.dumps(event.data)
    with pytest.raises(RequestError, match="already been withdrawn"):
        answers.withdraw_redaction(redaction, officer=officer, reason="Twice.")

    # Once the answer is sent, what it held is final.
    answers.redact(item, officer=officer, text="Mustermann", reason="Another try.")
    final = item.packages.get(deleted_at__isnull=True)
    answers.release(final, officer=officer)
    with pytest.raises(RequestError, match="already been sent"):
        answers.withdraw_redaction(item.redactions.get(), officer=officer, reason="Too late.")
    assert item.redactions.count() == 1


def test_sending_the_answer_is_previewed_with_its_report_and_renewing_it_too(crm, outbox, client):
    from dsr.models import EventKind
    from tests.helpers import confirmation

    officer, secret = make_officer()
    package = answered(outbox)
    item = package.request
    login_with_totp(client, officer.email, PASSWORD, secret)
    release = reverse("staff:case_action", args=[item.reference, "release"])
    preview = client.post(release)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Check before you confirm: Send the answer" in page
    assert f"Your answer to request {item.reference} is ready" in page
    report_url = reverse("staff:case_report", args=[item.reference])
    assert f'href="{report_url}"' in page
    report = client.get(report_url)
    assert report["Content-Type"] == "application/pdf"
    assert report.content == unpack(package).read("report.pdf")  # the very file that goes
    assert AnswerPackage.objects.get(pk=package.pk).released_at is None

    client.post(release, {"confirm": confirmation(page)})
    assert AnswerPackage.objects.get(pk=package.pk).released_at is not None
    # The sent answer's report is no longer offered as a preview of the next step.
    reissue = reverse("staff:case_action", args=[item.reference, "reissue"])
    page = client.post(reissue).content.decode()
    assert "Check before you confirm: Renew the download" in page
    assert 'id="preview-report"' not in page
    client.post(reissue, {"confirm": confirmation(page)})
    assert item.events.filter(kind=EventKind.ANSWER_REISSUED).exists()
