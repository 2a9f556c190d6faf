"""The demo `make run` loads: the seeds' controller and staff who can log in with TOTP."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from dsr.demo import DEMO_PASSWORD, load_demo
from dsr.models import Controller
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
    assert User.objects.filter(email__endswith="@demo.example").count() == 2

    officer = first[0]
    login_with_totp(client, officer.email, DEMO_PASSWORD, officer.totp_secret)
    assert client.get(reverse("staff:dashboard")).status_code == 200


def test_the_demo_command_prints_the_logins(capsys, settings):
    settings.DEBUG = True
    call_command("dsr_demo")
    out = capsys.readouterr().out
    assert "officer@demo.example" in out
    assert DEMO_PASSWORD in out
    assert "TOTP secret:" in out


def test_the_demo_is_refused_on_a_production_site(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("dsr_demo")
    assert not User.objects.exists()
