"""Forms are rendered by Django's form renderer with the portal's Bootstrap templates: each
field has its label, its error next to it and the aria attributes that tie them together."""

import pytest
from django.urls import reverse

from dsr.rights import Right
from tests.dsr.test_intake import file_request
from tests.factories import PASSWORD, submit
from tests.form_markup import by_id, elements, label_for
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_invalid_intake_shows_label_error_and_aria_on_the_field(client):
    page = file_request(client, Right.ERASURE, {"scope": "parts", "parts": ""}).content.decode()
    assert label_for(page, "id_parts") == "Which data?"
    parts = by_id(page, "id_parts")
    assert parts.tag == "textarea"
    assert {"form-control", "is-invalid"} <= parts.classes
    assert parts.attrs["aria-invalid"] == "true"
    assert parts.describedby() == ["id_parts_error"]
    error = by_id(page, "id_parts_error")
    assert " ".join(error.text.split()) == "Please say which data we should erase."
    assert "invalid-feedback" in error.classes


def test_the_labels_and_errors_are_translated(client):
    page = file_request(
        client, Right.ERASURE, {"scope": "parts", "parts": ""}, language="de", email=""
    ).content.decode()
    assert label_for(page, "id_parts") == "Welche Daten?"
    assert label_for(page, "id_email") == "E-Mail-Adresse"
    email = by_id(page, "id_email")
    # Help text first, then the error: both are read out with the field.
    assert email.describedby() == ["id_email_helptext", "id_email_error"]
    assert "E-Mail-Adresse" in by_id(page, "id_email_error").text


def test_a_radio_group_is_a_fieldset_described_by_its_help_and_error(client):
    page = file_request(client, Right.RESTRICTION, {"details": "x"}).content.decode()
    [fieldset] = [e for e in elements(page) if e.tag == "fieldset" and e.describedby()]
    assert fieldset.describedby() == ["id_ground_helptext", "id_ground_error"]
    assert "Why should we restrict the use of your data?" in fieldset.text
    first = by_id(page, "id_ground_0")
    assert (first.attrs["type"], first.attrs["name"], first.attrs["value"]) == (
        "radio",
        "ground",
        "a",
    )
    assert {"form-check-input", "is-invalid"} <= first.classes
    assert label_for(page, "id_ground_0").startswith("I contest the accuracy")


def test_an_untouched_field_is_described_by_its_help_only(client):
    page = client.get(reverse("dsr:intake", args=["access"])).content.decode()
    customer_number = by_id(page, "id_customer_number")
    assert customer_number.describedby() == ["id_customer_number_helptext"]
    assert "aria-invalid" not in customer_number.attrs
    assert "is-invalid" not in customer_number.classes
    upload = by_id(page, "id_evidence")
    assert upload.attrs["type"] == "file"
    assert "application/pdf" in upload.attrs["accept"]


def test_a_wrong_code_is_shown_at_the_field(client, outbox):
    file_request(client, Right.ACCESS, {"scope": ""})
    page = client.post(reverse("dsr:sent"), {"code": "000000"}).content.decode()
    assert label_for(page, "id_code") == "Code from the e-mail"
    code = by_id(page, "id_code")
    assert code.attrs["autocomplete"] == "one-time-code"
    assert code.attrs["aria-invalid"] == "true"
    assert code.describedby() == ["id_code_error"]
    assert "code" in by_id(page, "id_code_error").text.lower()


def test_the_case_page_renders_the_staff_forms(client, officer):
    item = submit()
    item.assignee = officer
    item.save(update_fields=["assignee"])
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assignee = by_id(page, "id_assignee")
    assert {"form-select", "form-select-sm"} <= assignee.classes
    assert label_for(page, "id_assignee") == "Assigned to"
    select = page[page.index('id="id_assignee"') :].split("</select>")[0]
    [selected] = [e for e in elements(select) if e.tag == "option" and "selected" in e.attrs]
    assert selected.attrs["value"] == str(officer.pk)
    note = by_id(page, "id_body")
    assert note.tag == "textarea"
    assert label_for(page, "id_body") == "Internal note (never shown to the requester)"
    ground = by_id(page, "id_refusal_ground")
    assert "form-select" in ground.classes
    assert label_for(page, "id_refusal_ground") == "Ground"


def test_an_invalid_manual_intake_shows_the_error_at_the_field(client, officer):
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    page = client.post(
        reverse("staff:manual_intake"),
        {"right": "access", "channel": "post", "received_at": "2025-01-02T10:00", "language": "de"},
    ).content.decode()
    assert "form-errors" in page
    email = by_id(page, "id_email")
    assert email.attrs["aria-invalid"] == "true"
    assert "Please give at least one way" in by_id(page, "id_email_error").text
    assert label_for(page, "id_send_verification").startswith("Send a confirmation link")
