"""The controller's details: seeded from the environment, validated, editable."""

import pytest
from django.core.exceptions import ValidationError

from dsr.core.controller import get_controller, parse_authorities, seed_controller
from dsr.models import Controller

pytestmark = pytest.mark.django_db


def test_the_controller_is_seeded_from_settings_once(settings):
    settings.DSR_CONTROLLER = {
        "name": "Beispiel GmbH",
        "address": "Hauptstr. 1",
        "email": "dsb@beispiel.de",
        "dpo_name": "",
        "dpo_contact": "",
        "country": "DE",
        "subdivision": "BE",
        "time_zone": "Europe/Berlin",
        "authorities": "BlnBDI|Alt-Moabit 59-61\\n10555 Berlin|https://www.datenschutz-berlin.de|",
    }
    controller = get_controller()
    assert controller.name == "Beispiel GmbH"
    assert controller.subdivision == "BE"
    authority = controller.authorities.get()
    assert authority.address == "Alt-Moabit 59-61\n10555 Berlin"
    settings.DSR_CONTROLLER = {**settings.DSR_CONTROLLER, "name": "Other"}
    assert get_controller().name == "Beispiel GmbH"  # the database copy is what counts
    assert Controller.objects.count() == 1


def test_authorities_parse_with_the_matter_they_are_competent_for():
    parsed = parse_authorities(
        "BfDI|Bonn||telecommunications;; LDI NRW|Düsseldorf;; Post DPA|Bonn||postal services"
    )
    assert [a["name"] for a in parsed] == ["BfDI", "LDI NRW", "Post DPA"]
    assert [a["matter"] for a in parsed] == ["telecommunications", "", "postal"]
    # The free text of earlier configurations still names its matter.
    assert parse_authorities("BfDI|||telecommunications contracts")[0]["matter"] == (
        "telecommunications"
    )


def test_an_unknown_competence_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown competence"):
        parse_authorities("X|||fisheries")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("country", {"country": "XX"}),
        ("subdivision", {"country": "DE", "subdivision": "ZZ"}),
        ("time_zone", {"time_zone": "Mars/Olympus"}),
    ],
)
def test_a_wrong_calendar_or_time_zone_is_refused(field, values):
    base = {"name": "X", "country": "DE", "subdivision": "", "time_zone": "Europe/Berlin"}
    with pytest.raises(ValidationError) as error:
        seed_controller({**base, **values})
    assert field in error.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_the_old_free_text_competence_becomes_the_matter_it_named():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("dsr", "0002_authority_matter_request_matter")],
        [("dsr", "0004_remove_supervisoryauthority_competence")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    controller = old.get_model("dsr", "Controller").objects.create(name="X", country="DE")
    Authority = old.get_model("dsr", "SupervisoryAuthority")
    for position, competence in enumerate(["telecommunications contracts", "", "Postdienste"]):
        Authority.objects.create(
            controller=controller, name=f"DPA {position}", competence=competence, position=position
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    matters = new.get_model("dsr", "SupervisoryAuthority").objects.order_by("position")
    assert [a.matter for a in matters] == ["telecommunications", "", "postal"]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_page_reads_the_controller_once_and_the_next_page_sees_a_change(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    get_controller()  # seeded
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("dsr:intake", args=["access"]))
    assert page.status_code == 200
    reads = [q for q in queries.captured_queries if 'FROM "dsr_controller"' in q["sql"]]
    assert len(reads) == 1
    Controller.objects.update(name="Renamed GmbH")
    assert "Renamed GmbH" in client.get(reverse("home")).content.decode()
    assert get_controller().name == "Renamed GmbH"  # outside a request: always read
