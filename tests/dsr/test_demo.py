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
from tests.helpers import login_with_totp

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
def test_the_demo_subject_is_found_everywhere_and_the_old_chat_is_explained(demo_home, outbox):
    import io
    import json
    import subprocess
    import zipfile

    from dsr.exports.package import read_package
    from dsr.models import AnswerPackage
    from tests.factories import submit
    from tests.helpers import code_in

    load_full_demo()
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
    # Two chats: the one from three days ago has lost its content under the 24-hour rule.
    assert systems["chat"]["categories"] == {"chat_sessions": 2, "chat_content": 3}
    assert systems["chat"]["expired"] == {"chat_content": 24}
    assert systems["billing"]["categories"]["invoices"] == 5
    report = subprocess.run(
        ["pdftotext", "-", "-"], input=archive.read("report.pdf"), capture_output=True, check=True
    ).stdout.decode()
    assert "deleted under the retention rule" in " ".join(report.split())


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
