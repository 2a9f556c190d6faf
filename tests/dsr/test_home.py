"""The public start page explains every right, the right to object separately (Art. 21(4))."""

import pytest

from dsr.demo_register import load_register
from dsr.rights import RIGHTS, Right

pytestmark = pytest.mark.django_db


def test_the_home_page_explains_every_right_and_names_the_controller(client):
    page = client.get("/").content.decode()
    for info in RIGHTS.values():
        if info.right == Right.AUTOMATED_DECISION:
            continue  # the register names no activity that decides automatically: below
        assert str(info.right.label) in page
        assert str(info.summary) in page
    assert "Example Controller Ltd" in page


def test_the_review_of_an_automated_decision_is_offered_only_where_one_is_taken(client):
    label = str(Right.AUTOMATED_DECISION.label)
    assert label not in client.get("/").content.decode()
    load_register()  # its webshop fraud prevention decides by automated means
    page = client.get("/").content.decode()
    assert label in page
    assert str(RIGHTS[Right.AUTOMATED_DECISION].summary) in page


def test_the_right_to_object_stands_apart_from_the_others(client):
    page = client.get("/").content.decode()
    objection = page.index('id="objection-heading"')
    assert page.count(str(Right.OBJECTION.label)) == 1
    assert page.index(str(Right.OBJECTION.label)) > objection
