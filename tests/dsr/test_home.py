"""The public start page explains every right, the right to object separately (Art. 21(4))."""

import pytest

from dsr.rights import RIGHTS, Right

pytestmark = pytest.mark.django_db


def test_the_home_page_explains_every_right_and_names_the_controller(client):
    page = client.get("/").content.decode()
    for info in RIGHTS.values():
        assert str(info.right.label) in page
        assert str(info.summary) in page
    assert "Example Controller Ltd" in page


def test_the_right_to_object_stands_apart_from_the_others(client):
    page = client.get("/").content.decode()
    objection = page.index('id="objection-heading"')
    assert page.count(str(Right.OBJECTION.label)) == 1
    assert page.index(str(Right.OBJECTION.label)) > objection
