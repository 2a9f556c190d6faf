"""An erasure searches every system first, weighs the person's other open requests, and links
the same request filed twice; only then does anything go."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from connectors import registry
from connectors.backends.fake import effects
from dsr.core.errors import RequestError
from dsr.models import ConnectorJob, EventKind, JobStatus, Status, SubjectRequest
from dsr.processing import worker
from dsr.services import decisions, erasure_approval, verification
from dsr.services.completion import complete
from dsr.services.withdrawal import withdraw
from tests.factories import PASSWORD, make_officer, second_officer, submit
from tests.helpers import code_in, confirmation, login_with_totp, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

ALL = {"scope": "all", "parts": ""}
UNTIL = date(date.today().year + 8, 12, 31)
KEPT = {
    "what": "invoices",
    "legal_basis": "Art. 17(3)(b) GDPR: a legal obligation to keep the record",
    "statute": "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG",
    "erase_after": UNTIL.isoformat(),
    "records": 2,
}


@pytest.fixture
def systems(settings, tmp_path):
    """A shop that keeps invoices under tax law, a newsletter tool, and a chat that is down."""
    state = str(tmp_path / "fake")
    settings.DSR_CONNECTORS = {
        "shop": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": state, "records": 5, "retains": [KEPT]},
        },
        "newsletter": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "OPTIONS": {"state_dir": state, "records": 1},
        },
    }
    settings.DSR_JOB_BACKOFF_SECONDS = 0.05
    registry.reset()
    yield state
    registry.reset()


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.answer_email)))
    return SubjectRequest.objects.get(pk=item.pk)


def approve(item, officer):
    proposal = decisions.propose(item, officer=officer, kind="erasure", reason="No exception.")
    decisions.approve(proposal, officer=second_officer())
    item.refresh_from_db()
    return item


def test_the_approval_page_lists_what_each_system_will_erase_and_keep(systems, outbox):
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details=ALL)
    # The locate phase ran in every system; nothing was erased.
    assert {(j.system, j.status) for j in item.jobs.filter(action="locate")} == {
        ("shop", JobStatus.SUCCEEDED),
        ("newsletter", JobStatus.SUCCEEDED),
    }
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"pending"}
    assert [e["action"] for e in effects(systems)] == []
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    preview = page[page.index('id="erasure-preview"') : page.index('id="other-requests"')]
    rows = {row.split('"')[0]: row.split("</tr>")[0] for row in preview.split('data-system="')[1:]}
    shop, newsletter = rows["shop"], rows["newsletter"]
    assert "3 records" in shop  # erased: the five it holds less the two invoices it keeps
    assert "2 invoices records" in shop
    assert "§ 147 Abs. 1 Nr. 4, Abs. 3 AO" in shop
    assert "Art. 17(3)(b) GDPR" in shop
    assert f"until {formats.date_format(UNTIL, 'DATE_FORMAT')}" in shop
    assert "1 record" in newsletter
    assert "nothing" in newsletter  # nothing kept there
    # What the page showed is what the erasure then reports.
    item = approve(item, officer)
    erase = item.jobs.get(system="shop", action="erase")
    assert erase.result["erased"] == 3
    assert erase.result["retained"][0]["erase_after"] == UNTIL.isoformat()


def test_the_approval_is_confirmed_on_a_page_that_shows_what_each_system_will_do(
    systems, outbox, settings
):
    settings.DSR_FOUR_EYES = []  # one officer approves: the approval takes effect at once
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details=ALL)
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    url = reverse("staff:case_action", args=[item.reference, "erasure"])
    data = {"reason": "No exception beyond the tax records."}
    page = client.post(url, data).content.decode()
    assert "Check before you confirm: Approve the erasure" in page
    shown = page[page.index('id="preview-erasure"') :]
    assert 'data-system="shop"' in shown
    assert "§ 147 Abs. 1 Nr. 4, Abs. 3 AO" in shown
    assert 'id="preview-no-letter"' in page  # the letter comes when the request completes
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"pending"}
    client.post(url, {**data, "confirm": confirmation(page)})
    assert item.events.get(kind=EventKind.APPROVED).actor == officer
    assert effects(systems)  # now it erased


def test_a_system_that_cannot_say_in_advance_or_failed_is_shown_so(systems, settings, outbox):
    settings.DSR_CONNECTORS["shop"]["OPTIONS"]["previews"] = False
    settings.DSR_CONNECTORS["newsletter"]["OPTIONS"]["fail"] = "permanent"
    registry.reset()
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details=ALL)
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "the system says what it keeps only when it erases" in page
    assert "The search failed" in page
    # A failed search ends the locate phase: the officer may decide (retry, skip, approve).
    assert erasure_approval.locate_phase(item) == "finished"


def test_an_erasure_cannot_be_approved_before_every_system_answered(systems, settings, outbox):
    settings.DSR_CONNECTORS["newsletter"]["OPTIONS"] |= {
        "transient_failures": 1,
        "retry_after": 3600,
    }
    registry.reset()
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details=ALL)
    locate = item.jobs.get(system="newsletter", action="locate")
    assert locate.status == JobStatus.QUEUED  # asked again in an hour
    with pytest.raises(RequestError, match="still being searched"):
        decisions.propose(item, officer=officer, kind="erasure", reason="No exception.")
    with pytest.raises(RequestError, match="still being searched"):
        erasure_approval.approve(item, officer=officer)
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "Still being searched" in page
    assert "Propose erasure" not in page
    # The system answers: the approval is possible, and only then is anything erased.
    ConnectorJob.objects.filter(pk=locate.pk).update(next_attempt_at=timezone.now())
    assert worker.run_job(locate.pk) == JobStatus.SUCCEEDED
    assert [e["action"] for e in effects(systems)] == []
    item = approve(item, officer)
    assert [e["system"] for e in effects(systems) if e["action"] == "erase"] == ["shop"]
    # The newsletter's erasure was dispatched too (its first try fails, as its locate's did).
    assert item.jobs.get(system="newsletter", action="erase").status == JobStatus.QUEUED


def test_erasure_waits_for_the_same_persons_open_access_answer_unless_an_officer_decides(
    systems, outbox
):
    officer, secret = make_officer()
    access = submit(right="access")  # not verified yet: its answer is still to be built
    correction = submit(right="rectification", details={"correction": "My name is Erika."})
    item = verified(outbox, right="erasure", details=ALL)
    others = erasure_approval.other_open_requests(item)
    assert [(o.request, o.conflicts) for o in others] == [(access, True), (correction, True)]
    with pytest.raises(RequestError, match=access.reference):
        decisions.propose(item, officer=officer, kind="erasure", reason="No exception.")
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    listed = page[page.index('id="other-requests"') :]
    assert access.reference in listed
    assert correction.reference in listed
    assert "the erasure waits for it" in listed
    with pytest.raises(RequestError, match="reasons"):
        erasure_approval.go_ahead(item, officer=officer, reason="  ")
    response = post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "erasure_go_ahead"]),
        {"reason": "The person wrote that the erasure must not wait for the copy."},
    )
    assert response.status_code == 302
    decided = item.events.get(kind=EventKind.ERASURE_GOES_AHEAD)
    assert decided.actor == officer
    assert decided.reason == "The person wrote that the erasure must not wait for the copy."
    assert decided.data["references"] == [access.reference, correction.reference]
    item = approve(item, officer)
    assert item.jobs.get(system="shop", action="erase").status == JobStatus.SUCCEEDED


def test_an_erasure_does_not_wait_for_requests_that_are_closed(systems, outbox):
    officer, _ = make_officer()
    access = submit(right="access")
    SubjectRequest.objects.filter(pk=access.pk).update(status=Status.COMPLETED)  # answer sent
    item = verified(outbox, right="erasure", details=ALL)
    assert erasure_approval.other_open_requests(item) == []
    approve(item, officer)


def test_two_erasure_requests_filed_minutes_apart_are_linked_and_get_one_answer(systems, outbox):
    officer, _ = make_officer()
    first = verified(
        outbox,
        right="erasure",
        details=ALL,
        language="de",
        received_at=timezone.now() - timedelta(minutes=7),
    )
    # Minutes later, by post, entered by an officer: the same request again.
    second = submit(right="erasure", details=ALL, language="de", channel="post", entered_by=officer)
    second.refresh_from_db()
    assert second.duplicate_of == first
    assert second.events.get(kind=EventKind.LINKED).data["together"] is True
    told = [m for m in outbox.to("erika@example.org") if first.reference in m.body]
    assert told, "the person is told it is handled together"
    assert "gemeinsam" in told[-1].subject
    assert f"{first.reference}" in told[-1].body
    # The first one is not an open request the erasure must wait for: it is the same one.
    assert erasure_approval.other_open_requests(first) == []
    verification.verify_manually(second, officer=officer, reason="Signed letter.")
    assert not second.jobs.exists()  # rides on the first one's work
    with pytest.raises(RequestError, match=first.reference):
        decisions.propose(second, officer=officer, kind="erasure", reason="No exception.")
    first = approve(first, officer)
    assert first.status == Status.IN_REVIEW
    complete(first, officer=officer)
    second.refresh_from_db()
    assert second.status == Status.COMPLETED
    assert second.events.filter(kind=EventKind.ANSWERED_TOGETHER).exists()
    assert not second.jobs.exists()
    letters = [m for m in outbox.to("erika@example.org") if "abgeschlossen" in m.subject.lower()]
    assert len(letters) == 1, [m.subject for m in outbox.to("erika@example.org")]
    assert len([e for e in effects(systems) if e["action"] == "erase"]) == 2  # one per system


def test_the_same_right_asked_again_after_the_window_is_not_answered_together(
    systems, settings, outbox
):
    settings.DSR_DUPLICATE_WINDOW_DAYS = 7
    unverified = submit(right="access", received_at=timezone.now() - timedelta(days=8))
    first = verified(outbox, right="erasure", details=ALL, received_at=unverified.received_at)
    later = submit(right="erasure", details=ALL)
    later.refresh_from_db()
    # Linked to ride on the open first request's work, but not answered with it.
    assert later.duplicate_of == first
    assert later.events.get(kind=EventKind.LINKED).data["together"] is False
    again = submit(right="access")
    again.refresh_from_db()
    assert again.duplicate_of is None  # an unverified request older than the window


def test_an_approved_erasure_still_waits_for_an_access_request_filed_meanwhile(
    systems, settings, outbox
):
    settings.DSR_CONNECTORS["newsletter"]["OPTIONS"] |= {
        "transient_failures": 1,
        "retry_after": 3600,
    }
    registry.reset()
    officer, _ = make_officer()
    item = verified(outbox, right="erasure", details=ALL)
    locate = item.jobs.get(system="newsletter", action="locate")
    ConnectorJob.objects.filter(pk=locate.pk).update(next_attempt_at=timezone.now())
    worker.run_job(locate.pk)
    item = approve(item, officer)
    erase = item.jobs.get(system="newsletter", action="erase")
    assert erase.status == JobStatus.QUEUED  # its first try failed: again in an hour
    # Meanwhile the person asks for a copy: what the newsletter holds goes into it first.
    access = submit(right="access")
    ConnectorJob.objects.filter(pk=erase.pk).update(next_attempt_at=timezone.now())
    assert worker.run_job(erase.pk) == "waiting for an answer to be sent first"
    assert item.jobs.get(pk=erase.pk).status == JobStatus.PENDING
    assert "newsletter" not in [e["system"] for e in effects(systems) if e["action"] == "erase"]
    # The access request ends: the erasure goes on by itself.
    withdraw(SubjectRequest.objects.get(pk=access.pk))
    assert item.jobs.get(pk=erase.pk).status == JobStatus.SUCCEEDED
    assert "newsletter" in [e["system"] for e in effects(systems) if e["action"] == "erase"]


def test_a_partial_erasure_shows_what_erasing_all_would_do_and_that_the_officer_picks(
    systems, outbox
):
    officer, secret = make_officer()
    item = verified(outbox, right="erasure", details={"scope": "parts", "parts": "My reviews."})
    client = Client()
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "asked to erase only some of their data" in page
    item = approve(item, officer)
    # Held for the officer to start the systems in scope: nothing erased by the approval.
    assert set(item.jobs.filter(action="erase").values_list("status", flat=True)) == {"held"}
    assert [e for e in effects(systems) if e["action"] == "erase"] == []
