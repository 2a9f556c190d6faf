"""A source system restored from a backup gets the erasures done since then again."""

import shutil
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from connectors import registry
from dsr.core.clock import today
from dsr.models import EventKind, SubjectRequest
from dsr.services import decisions, verification
from tests.connectors import sources
from tests.factories import make_officer, submit
from tests.helpers import code_in

pytestmark = pytest.mark.django_db(transaction=True)
ERIKA = f"lower(email) = '{sources.SUBJECT}'"


@pytest.fixture
def crm(settings, tmp_path):
    url = sources.database_url("sqlite", "replay", tmp_path)
    sources.seed(url)
    settings.DSR_CONNECTORS = {
        "crm": {
            "BACKEND": "connectors.backends.sql.SQLConnector",
            "NAME": "CRM",
            "OPTIONS": {"url": url, "mapping": sources.CRM_MAPPING},
        }
    }
    settings.DSR_FOUR_EYES = []
    registry.reset()
    yield url
    registry.reset()


def replay(*args: str) -> str:
    out = StringIO()
    call_command("dsr_replay_erasures", *args, stdout=out)
    return out.getvalue()


def test_erasures_since_the_backup_are_done_again_and_recorded(crm, outbox):
    officer, _ = make_officer()
    database = crm.removeprefix("sqlite:///")
    shutil.copyfile(database, database + ".backup")  # last night's backup
    item = submit(right="erasure", email=sources.SUBJECT, details={"scope": "all", "parts": ""})
    verification.verify_with_code(item, code_in(outbox.last_to(sources.SUBJECT)))
    decisions.decide(item, officer=officer, kind="erasure", reason="No duty to keep.")
    assert sources.rows(crm, "contacts", ERIKA) == []

    shutil.copyfile(database + ".backup", database)  # the CRM is restored: Erika is back
    registry.reset()
    assert len(sources.rows(crm, "contacts", ERIKA)) == 1

    listed = replay("--since", today().isoformat(), "--dry-run")
    assert f"{item.reference} crm" in listed
    assert "1 erasures would be replayed." in listed
    assert len(sources.rows(crm, "contacts", ERIKA)) == 1  # a dry run changes nothing

    done = replay("--since", today().isoformat())
    assert f"{item.reference} crm: " in done
    assert sources.SUBJECT not in done  # references and counts only
    assert sources.rows(crm, "contacts", ERIKA) == []
    event = SubjectRequest.objects.get(pk=item.pk).events.get(kind=EventKind.ERASURE_REPLAYED)
    assert event.data["system"] == "crm"
    assert event.data["erased"] >= 1

    # A backup taken after the erasure needs nothing replayed.
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert "0 erasures replayed." in replay("--since", tomorrow)
