"""The demo `make run` loads: the seeds' controller and staff who can log in with TOTP."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from dsr.demo import DEMO_PASSWORD, load_demo, load_full_demo
from dsr.demo_systems import DEMO_SUBJECT
from dsr.models import Controller
from dsr.services import verification
from tests.helpers import login_with_totp, post_confirmed

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_seeds_controller_and_can_be_loaded_again(client):
    first = load_demo()
    second = load_demo()
    assert [login.totp_secret for login in first] == [login.totp_secret for login in second]
    controller = Controller.objects.get()
    assert controller.name == "T-Systems International GmbH"
    assert (controller.country, controller.subdivision) == ("DE", "NW")
    assert [a.name.split(" (")[-1] for a in controller.authorities.all()] == ["BfDI)", "LDI NRW)"]
    # Two officers (four eyes) and a privacy admin.
    assert User.objects.filter(email__endswith="@demo.example").count() == 3

    officer = first[0]
    login_with_totp(client, officer.email, DEMO_PASSWORD, officer.totp_secret)
    assert client.get(reverse("staff:dashboard")).status_code == 200


@pytest.fixture
def demo_home(settings, tmp_path):
    """The demo's systems under this test's folder, and the registry pointed at them."""
    from connectors import registry

    settings.VAR_DIR = tmp_path
    settings.DSR_CONNECTORS_FILE = str(tmp_path / "demo" / "connectors.yaml")
    registry.reset()
    yield tmp_path
    registry.reset()


@pytest.mark.django_db(transaction=True)
def test_the_demo_command_prints_the_logins(capsys, settings, demo_home):
    settings.DEBUG = True
    call_command("dsr_demo")
    out = capsys.readouterr().out
    assert "officer@demo.example" in out
    assert DEMO_PASSWORD in out
    assert "TOTP secret:" in out
    assert "officer2@demo.example" in out
    assert DEMO_SUBJECT in out


def test_the_demo_is_refused_on_a_production_site(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("dsr_demo")
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_full_demo_has_requests_in_every_state_and_loads_once(demo_home, outbox):
    from dsr import demo_requests as demo
    from dsr.core.clock import today
    from dsr.models import JobStatus, Status, SubjectRequest

    load_full_demo()
    by = {item.email: item for item in SubjectRequest.objects.all()}
    assert set(by) == {demo.OVERDUE, demo.PAUSED, demo.FAILED, demo.COMPLETED, demo.UNCONFIRMED}
    overdue = by[demo.OVERDUE]
    assert overdue.is_open
    assert overdue.due_on < today()
    assert overdue.status == Status.IN_REVIEW
    assert overdue.packages.exists()  # built, waiting for the officer to release it
    assert by[demo.PAUSED].paused
    failed = by[demo.FAILED].jobs.get(system="crm", action="rectify")
    assert failed.status == JobStatus.FAILED
    assert "IntegrityError" in failed.last_error
    assert by[demo.COMPLETED].status == Status.COMPLETED
    assert by[demo.UNCONFIRMED].status == Status.AWAITING_VERIFICATION

    load_full_demo()  # again: nothing new, nothing lost
    assert SubjectRequest.objects.count() == 5
    assert {p.name for p in (demo_home / "demo").iterdir()} == {
        "crm.sqlite3",
        "billing.sqlite3",
        "chat.sqlite3",
        "connectors.yaml",
        "connectors-saas.yaml",  # for `make run DEMO_SAAS=1`
    }


@pytest.mark.django_db(transaction=True)
def test_the_demo_subject_is_found_everywhere_and_her_old_chat_is_answered(
    demo_home, outbox, client
):
    import io
    import json
    import subprocess
    import zipfile

    from dsr.exports.package import read_package
    from dsr.models import AnswerPackage
    from tests.factories import submit
    from tests.helpers import code_in

    logins = load_full_demo()
    item = submit(email=DEMO_SUBJECT)
    verification.verify_with_code(item, code_in(outbox.last_to(DEMO_SUBJECT)))
    package = AnswerPackage.objects.get(request=item)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))
    manifest = json.loads(archive.read("manifest.json"))
    systems = manifest["systems"]
    assert {alias: entry["status"] for alias, entry in systems.items()} == {
        "crm": "found",
        "billing": "found",
        "chat": "found",
    }
    # Two chats: every message still in the chat database is answered, the three from three
    # days ago too, although the system's own rule deletes content after 24 hours.
    import sqlite3

    chat_db = sqlite3.connect(demo_home / "demo" / "chat.sqlite3")
    (held,) = chat_db.execute(
        "SELECT count(*) FROM chat_messages JOIN chats ON chats.id = chat_id"
        " WHERE lower(email) = ?",
        (DEMO_SUBJECT.lower(),),
    ).fetchone()
    chat_db.close()
    assert held == 6
    assert systems["chat"]["categories"] == {"chat_sessions": 2, "chat_content": held}
    assert systems["chat"]["expired"] == {"chat_content": 24}
    assert systems["chat"]["past_rule"] == {"chat_content": 3}
    exported = archive.read("data/chat/chat_content.csv").decode("utf-8-sig").splitlines()
    assert len(exported) == 1 + held
    assert systems["billing"]["categories"]["invoices"] == 5
    report = " ".join(
        subprocess.run(
            ["pdftotext", "-", "-"],
            input=archive.read("report.pdf"),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split()
    )
    assert "no longer held" not in report
    assert "deleted under" not in report
    assert "3 records are older and are still held; they are included in this answer." in report
    # The officer sees it as a finding on the case.
    from dsr.selectors.case import past_rule_findings

    assert past_rule_findings(item) == [
        {"system": "Support chat", "category": "chat_content", "hours": 24, "records": 3}
    ]
    officer = logins[0]
    login_with_totp(client, officer.email, DEMO_PASSWORD, officer.totp_secret)
    page = " ".join(
        client.get(reverse("staff:case", args=[item.reference])).content.decode().split()
    )
    assert 'id="findings"' in page
    assert "Support chat · chat_content: 3 records (rule: deleted after 24 hours)" in page


@pytest.mark.django_db(transaction=True)
def test_the_demo_erasure_keeps_each_invoice_until_its_own_end_and_restricts_the_customer(
    demo_home, outbox
):
    import sqlite3
    from datetime import date

    from dsr.models import ScheduledErasure
    from dsr.services import notices
    from dsr.services.completion import complete
    from tests.factories import approve_erasure, make_officer, submit

    load_full_demo()
    officer, _ = make_officer()
    item = submit(
        right="erasure",
        email=DEMO_SUBJECT,
        details={"scope": "all", "parts": ""},
        channel="post",
        entered_by=officer,
    )
    verification.verify_manually(item, officer=officer, reason="Signed letter, contract on file.")
    approve_erasure(item, proposer=officer)
    billing = item.jobs.get(system="billing", action="erase").result
    kept = {(k["what"], k["erase_after"], k["records"]) for k in billing["retained"]}
    # Invoices of 2016 and 2017 are past their 8 years; 2024-2026 each until its own end.
    today = date.today()
    invoices = {y for y in (2016, 2017, 2024, 2025, 2026) if date(y + 8, 12, 31) >= today}
    assert kept == {
        *{("invoices", date(y + 8, 12, 31).isoformat(), 1) for y in invoices},
        ("customer records", date(max(invoices) + 8, 12, 31).isoformat(), 1),
    }
    assert billing["erased"] == 5 - len(invoices)
    assert billing["anonymised"] == 0
    db = sqlite3.connect(demo_home / "demo" / "billing.sqlite3")
    name, restricted = db.execute(
        "SELECT name, processing_restricted FROM customers WHERE lower(email) = ?",
        (DEMO_SUBJECT.lower(),),
    ).fetchone()
    db.close()
    assert (name, restricted) == ("Erika Mustermann", 1)  # restricted, not anonymised
    scheduled = ScheduledErasure.objects.filter(request=item, system="billing")
    assert sorted(s.erase_after for s in scheduled if s.location == "invoices") == sorted(
        date(y + 8, 12, 31) for y in invoices
    )
    for notice in item.notices.filter(status="pending"):
        notices.decide_notice(notice, officer=officer, notified=True)
    complete(item, officer=officer)
    letter = outbox.last_to(DEMO_SUBJECT).body
    for year in invoices:
        assert str(year + 8) in letter
    assert "The invoices we keep refer to them." in letter


def test_the_saas_configuration_points_at_the_fakes_the_procfile_starts(tmp_path):
    import yaml

    from dsr.demo_systems import SAAS_PORT, build

    build(tmp_path)
    systems = yaml.safe_load((tmp_path / "connectors-saas.yaml").read_text())["systems"]
    assert list(systems) == ["crm", "billing", "chat", "salesforce", "stripe", "zendesk"]
    assert systems["salesforce"]["options"]["base_url"] == f"http://127.0.0.1:{SAAS_PORT}"
    assert systems["zendesk"]["options"]["base_url"] == f"http://127.0.0.1:{SAAS_PORT + 2}"
    procfile = (Path(__file__).resolve().parents[2] / "Procfile.saas").read_text()
    assert "saas: python manage.py dsr_fake_saas\n" in procfile  # default port: SAAS_PORT


@pytest.mark.django_db(transaction=True)
def test_the_demo_requests_never_reach_systems_configured_for_real(settings, tmp_path, outbox):
    from connectors import registry
    from dsr.models import ConnectorJob

    settings.VAR_DIR = tmp_path
    settings.DSR_CONNECTORS_FILE = ""
    settings.DSR_CONNECTORS = {
        "production_crm": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": str(tmp_path / "real")},
        }
    }
    registry.reset()
    load_full_demo()
    assert set(ConnectorJob.objects.values_list("system", flat=True)) == {"crm", "billing", "chat"}
    assert not (tmp_path / "real").exists()  # nothing was asked of it
    assert list(registry.systems()) == ["production_crm"]  # and the setting is back
    registry.reset()


@pytest.mark.django_db(transaction=True)
def test_erikas_erasure_letter_keeps_her_invoices_as_a_partial_refusal_with_remedies(
    demo_home, outbox
):
    from dsr.models import SubjectRequest
    from dsr.services import notices
    from dsr.services.completion import complete
    from tests.factories import approve_erasure, make_officer, submit
    from tests.helpers import code_in

    load_full_demo()
    officer, _ = make_officer()
    item = submit(email=DEMO_SUBJECT, right="erasure", details={"scope": "all", "parts": ""})
    verification.verify_with_code(item, code_in(outbox.last_to(DEMO_SUBJECT)))
    approve_erasure(item, proposer=officer)
    for notice in item.notices.filter(status="pending"):
        notices.decide_notice(notice, officer=officer, notified=True)
    complete(SubjectRequest.objects.get(pk=item.pk), officer=officer)
    letter = " ".join(outbox.last_to(DEMO_SUBJECT).body.split())
    assert "What we keep, because the law requires it:" in letter
    assert "§ 147 Abs. 1 Nr. 4, Abs. 3 AO" in letter
    # Keeping records is a partial refusal (Art. 17(3), 12(4)): the reasons, the one competent
    # authority, the courts.
    assert "right to lodge a complaint with a supervisory authority" in letter
    assert "Landesbeauftragte für Datenschutz und Informationsfreiheit" in letter
    assert "Bundesbeauftragte" not in letter
    assert "right to an effective judicial remedy" in letter


@pytest.mark.django_db(transaction=True)
def test_erikas_portability_answer_holds_her_provided_and_observed_records_in_csv_and_json(
    demo_home, outbox
):
    import csv
    import io
    import json
    import zipfile

    import jsonschema

    from dsr.exports.package import read_package
    from dsr.models import AnswerPackage
    from dsr.services import answers
    from tests.factories import make_officer, submit
    from tests.helpers import code_in

    load_full_demo()
    officer, _ = make_officer()
    item = submit(email=DEMO_SUBJECT, right="portability", details={"transmit": False})
    verification.verify_with_code(item, code_in(outbox.last_to(DEMO_SUBJECT)))
    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(read_package(package))))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["portability"] is True
    assert manifest["no_personal_data"] is False
    assert "report.pdf" not in archive.namelist()  # data, not a PDF

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))

    # Provided: her contact and account details; observed under the contract: what she was
    # billed for and what she wrote in the chat.
    contact = rows("data/crm/contact.csv")
    assert [(r["email"], r["name"]) for r in contact] == [(DEMO_SUBJECT, "Erika Mustermann")]
    assert len(rows("data/billing/invoices.csv")) == 5
    chat = rows("data/chat/chat_content.csv")
    assert len(chat) == 6
    assert "Hello, my invoice shows two ECS instances but I only run one." in {
        r["text"] for r in chat
    }
    # The staff's service notes: when and about what, not what staff wrote about her.
    notes = rows("data/crm/service_notes.csv")
    assert len(notes) == 2
    assert "note" not in notes[0]
    assert {r["topic"] for r in notes} == {"Onboarding", "Support"}

    data = json.loads(archive.read("data.json"))
    jsonschema.validate(data, json.loads(archive.read("schema.json")))
    assert data["systems"]["crm"]["contact"][0]["email"] == DEMO_SUBJECT
    assert len(data["systems"]["chat"]["chat_content"]) == 6
    assert len(data["systems"]["billing"]["invoices"]) == 5
    assert all("note" not in n for n in data["systems"]["crm"]["service_notes"])
    assert "renewing the access key" not in archive.read("data.json").decode()

    included = {(e["system"], e["category"]): e["records"] for e in manifest["included"]}
    assert included == {
        ("crm", "contact"): 1,
        ("crm", "service_notes"): 2,
        ("billing", "billing_account"): 1,
        ("billing", "invoices"): 5,
        ("chat", "chat_sessions"): 2,
        ("chat", "chat_content"): 6,
    }
    assert manifest["excluded"] == [
        {
            "system": "crm",
            "category": "service_notes",
            "reason": "inferred",
            "fields": ["note"],
            "records": 2,
        }
    ]
    readme = " ".join(archive.read("README.txt").decode().split())
    assert "Service notes (CRM): the field Note: The right to data portability covers" in readme

    answers.release(package, officer=officer)
    letter = " ".join(outbox.last_to(DEMO_SUBJECT).body.split())
    assert "no personal data" not in letter.lower()
    assert "Not in your data, and why: - Service notes (CRM): the field Note:" in letter
    assert letter.count("right to lodge a complaint with a supervisory authority") == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decision", ["cannot", "another_way"])
def test_a_restriction_in_the_demo_chat_is_an_officers_decision_never_restricted(
    demo_home, outbox, client, decision
):
    from dsr.models import JobStatus, SubjectRequest
    from dsr.services import jobs, notices
    from dsr.services.completion import complete
    from tests.factories import make_officer, submit
    from tests.helpers import code_in

    logins = load_full_demo()
    officer, _ = make_officer()
    item = submit(email=DEMO_SUBJECT, right="restriction", details={"ground": "a", "details": ""})
    verification.verify_with_code(item, code_in(outbox.last_to(DEMO_SUBJECT)))
    restricted = {j.system: j for j in item.jobs.filter(action="restrict")}
    # The CRM and billing carry a restriction flag; the chat has none, and no owner is named.
    assert restricted["crm"].status == restricted["billing"].status == JobStatus.SUCCEEDED
    chat = restricted["chat"]
    assert chat.status == JobStatus.HELD
    assert chat.result["could_not"] == "uncovered"
    assert (chat.result["changed"], chat.result["uncovered"]) == (0, 8)  # 2 chats, 6 messages
    staff = logins[0]
    login_with_totp(client, staff.email, DEMO_PASSWORD, staff.totp_secret)
    page = " ".join(
        client.get(reverse("staff:case", args=[item.reference])).content.decode().split()
    )
    assert "it holds 8 records of the person that it cannot change in this way" in page
    assert "Done another way" in page

    if decision == "another_way":
        # The officer had the chat vendor lock her transcripts, and records how (the form).
        post_confirmed(
            client,
            reverse("staff:case_action", args=[item.reference, "done_by_hand"]),
            {"job": chat.pk, "note": "The chat vendor locked her transcripts on our request."},
        )
        assert item.jobs.get(pk=chat.pk).status == JobStatus.SUCCEEDED
    else:
        jobs.skip_job(
            chat,
            officer=officer,
            reason="We have asked the chat team to lock your transcripts until the matter "
            "is settled.",
        )
    # Each recipient's Art. 19 notice is on the case page, ready to send.
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert 'class="notice-text' in page
    assert "the processing was restricted: the data may only be stored" in page
    for notice in item.notices.filter(status="pending"):
        notices.decide_notice(notice, officer=officer, notified=True)
    complete(SubjectRequest.objects.get(pk=item.pk), officer=officer)
    letter = " ".join(outbox.last_to(DEMO_SUBJECT).body.split())
    assert "- CRM: processing restricted: the data is only stored" in letter
    assert "- Billing: processing restricted: the data is only stored" in letter
    if decision == "another_way":
        assert (
            "- Support chat: processing restricted: the data is only stored (done by hand"
        ) in letter
        assert "What we could not do" not in letter
        return
    assert "Support chat: processing restricted" not in letter
    assert "What we could not do, and why:" in letter
    assert (
        "- Support chat: Restricting the processing: this system holds data about you that it "
        "cannot change in this way. What we do instead: We have asked the chat team to lock "
        "your transcripts until the matter is settled."
    ) in letter
    assert "right to lodge a complaint with a supervisory authority" in letter
    assert "right to an effective judicial remedy" in letter


@pytest.mark.django_db(transaction=True)
def test_a_marketing_objection_says_where_no_marketing_is_done(demo_home, outbox):
    from dsr.models import JobStatus, SubjectRequest
    from dsr.services.completion import complete
    from tests.factories import make_officer, submit
    from tests.helpers import code_in

    load_full_demo()
    officer, _ = make_officer()
    item = submit(email=DEMO_SUBJECT, right="objection", details={"kind": "direct_marketing"})
    verification.verify_with_code(item, code_in(outbox.last_to(DEMO_SUBJECT)))
    objected = {j.system: j for j in item.jobs.filter(action="object")}
    assert {j.status for j in objected.values()} == {JobStatus.SUCCEEDED}
    assert objected["crm"].result["changed"] == 1
    # The chat holds her data, has no marketing function, and the register names no
    # marketing purpose for it.
    assert objected["chat"].result["uncovered"] == 8
    assert objected["chat"].result["not_marketing"]
    complete(SubjectRequest.objects.get(pk=item.pk), officer=officer)
    letter = " ".join(outbox.last_to(DEMO_SUBJECT).body.split())
    assert "- CRM: no more direct marketing; you stay on our suppression list" in letter
    assert "- Support chat: not used for direct marketing here" in letter
    assert "Support chat: no more direct marketing" not in letter
    assert "What we could not do" not in letter
