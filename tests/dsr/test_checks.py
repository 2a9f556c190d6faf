"""The portal's own system checks: a bad DSR_FOUR_EYES is dsr.E001 in `manage.py check`."""

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def four_eyes_errors():
    return [message for message in run_checks() if message.id == "dsr.E001"]


def test_an_unknown_right_is_reported_by_name_with_the_known_ones(settings):
    settings.DSR_FOUR_EYES = ["erasure", "erasur", "acess"]
    [error] = four_eyes_errors()
    assert error.is_serious()
    assert "unknown rights: acess, erasur." in error.msg
    assert "Known: access, rectification, erasure, restriction, portability, objection" in (
        error.msg
    )
    assert error.obj == "DSR_FOUR_EYES"


def test_manage_py_check_stops_on_it(settings):
    settings.DSR_FOUR_EYES = "erasure,acess"
    with pytest.raises(SystemCheckError, match=r"\(dsr\.E001\) DSR_FOUR_EYES names unknown"):
        call_command("check")


@pytest.mark.parametrize("value", [[], "", "erasure, objection", ["access", "erasure"]])
def test_known_rights_and_an_empty_setting_pass(settings, value):
    settings.DSR_FOUR_EYES = value
    assert four_eyes_errors() == []


def proxy_warnings():
    return [m for m in run_checks(include_deployment_checks=True) if m.id == "dsr.W001"]


def test_check_deploy_warns_behind_a_tls_proxy_with_no_trusted_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.DSR_TRUSTED_PROXIES = 0
    [warning] = proxy_warnings()
    assert "every client is counted as the proxy's address" in warning.msg
    settings.DSR_TRUSTED_PROXIES = 1
    assert proxy_warnings() == []


def test_no_proxy_no_warning(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    assert proxy_warnings() == []
