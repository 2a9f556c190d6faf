"""Forms are rendered by Django's form renderer with the portal's Bootstrap templates: each
field has its label, its error next to it and the aria attributes that tie them together."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from dsr.models import ConnectorJob, JobStatus, Proposal, RecipientNotice, RequestFile
from dsr.rights import Right
from dsr.services import retention
from tests.dsr.test_intake import file_request
from tests.factories import PASSWORD, make_officer, second_officer, submit
from tests.form_markup import by_id, duplicate_ids, elements, label_for
from tests.helpers import login_with_totp, post_confirmed

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


def two_of_each_row(item):
    """Two proposals of another officer, two jobs an officer can retry or skip, two recipients
    to notify and two identity documents to check, all on one case."""
    bruno = second_officer()
    proposals = [
        Proposal.objects.create(request=item, kind=kind, reason="Seen.", proposed_by=bruno)
        for kind in ("erasure", "refusal")
    ]
    jobs = [
        ConnectorJob.objects.create(request=item, system=system, action="erase", status=status)
        for system, status in (("crm", JobStatus.FAILED), ("shop", JobStatus.WAITING))
    ]
    notices = [
        RecipientNotice.objects.create(request=item, system="crm", recipient=recipient)
        for recipient in ("Newsletter Ltd", "Parcel Co")
    ]
    files = [
        RequestFile.objects.create(
            request=item, kind="id_document", content_type="application/pdf", size=2048
        )
        for _ in range(2)
    ]
    return proposals, jobs, notices, files


def hidden(page, element_id):
    element = by_id(page, element_id)
    assert element.attrs["type"] == "hidden"
    return element.attrs["name"], element.attrs["value"]


def test_each_row_of_the_case_page_has_its_own_form_and_no_id_repeats(client, officer):
    item = submit(right="erasure")
    proposals, jobs, notices, files = two_of_each_row(item)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()

    assert duplicate_ids(page) == []
    for proposal in proposals:
        approve, send_back = f"id_approve_proposal_{proposal.pk}", f"id_send_back_{proposal.pk}"
        assert hidden(page, f"{approve}_proposal") == ("proposal", str(proposal.pk))
        assert hidden(page, f"{send_back}_proposal") == ("proposal", str(proposal.pk))
        assert label_for(page, f"{approve}_reason") == "Note on the approval"
        assert label_for(page, f"{send_back}_reason") == "Why it is sent back"
        note = by_id(page, f"{send_back}_reason")
        assert (note.attrs["name"], note.attrs["placeholder"]) == ("reason", "Why it is sent back")
        assert "required" in note.attrs
    for job in jobs:
        assert hidden(page, f"id_retry_{job.pk}_job") == ("job", str(job.pk))
        assert hidden(page, f"id_skip_{job.pk}_job") == ("job", str(job.pk))
        assert label_for(page, f"id_skip_{job.pk}_reason") == "Reason for skipping"
    for notice in notices:
        assert hidden(page, f"id_notice_{notice.pk}_notice") == ("notice", str(notice.pk))
        assert label_for(page, f"id_notice_{notice.pk}_reason") == "Why not"
    for file in files:
        assert hidden(page, f"id_decide_{file.pk}_file") == ("file", str(file.pk))
        assert label_for(page, f"id_decide_{file.pk}_accepted_0") == "Identity confirmed"
        assert label_for(page, f"id_decide_{file.pk}_reason") == "Note"
        group = by_id(page, f"field-decide_{file.pk}_accepted")
        assert "Decision" in group.text
    # The labels the design does not show are there for screen readers.
    [label] = [e for e in elements(page) if e.attrs.get("for") == f"id_skip_{jobs[0].pk}_reason"]
    assert label.classes == {"visually-hidden"}


def test_the_case_page_rows_are_labelled_in_the_officers_language(client, officer):
    item = submit(right="erasure")
    proposals, jobs, notices, files = two_of_each_row(item)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    approve = by_id(page, f"id_approve_proposal_{proposals[0].pk}_reason")
    assert approve.attrs["placeholder"] == "Notitie bij de goedkeuring"
    assert label_for(page, approve.attrs["id"]) == "Notitie bij de goedkeuring"
    assert label_for(page, f"id_skip_{jobs[0].pk}_reason") == "Reden voor het overslaan"
    assert label_for(page, f"id_notice_{notices[0].pk}_reason") == "Waarom niet"
    assert label_for(page, f"id_decide_{files[0].pk}_reason") == "Notitie"


def test_a_row_form_posts_the_plain_names_its_action_reads(client, officer):
    item = submit(right="erasure")
    _proposals, jobs, _notices, _files = two_of_each_row(item)
    login_with_totp(client, officer.email, PASSWORD, officer.totp_secret)
    skip = reverse("staff:case_action", args=[item.reference, "skip"])
    refused = client.post(skip, {"job": jobs[0].pk}, follow=True).content.decode()
    assert "Reason for skipping: This field is required." in refused
    post_confirmed(client, skip, {"job": jobs[0].pk, "reason": "Decommissioned in 2024."})
    jobs[0].refresh_from_db()
    assert (jobs[0].status, jobs[0].skipped_reason) == (
        JobStatus.SKIPPED,
        "Decommissioned in 2024.",
    )


def test_the_legal_hold_button_places_or_releases_the_hold(client, officer):
    item = submit()
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin.email, PASSWORD, secret)
    case = reverse("staff:case", args=[item.reference])
    assert hidden(client.get(case).content.decode(), "id_hold_hold") == ("hold", "1")
    retention.set_legal_hold(item, admin=admin, hold=True, reason="Court case 3 O 12/26")
    assert hidden(client.get(case).content.decode(), "id_hold_hold") == ("hold", "0")


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
