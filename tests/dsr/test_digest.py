"""The officers' daily digest lists exactly their due-soon and overdue requests."""

import smtplib
from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts.roles import Role
from dsr.core.tokens import status_token
from dsr.models import Delivery, DeliveryState, EventKind, Status, SubjectRequest
from dsr.services import assignment, verification
from dsr.services.digest import sections, send_digests
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)
DAY = date(2026, 11, 23)


def case(assignee, due_in: int, *, strict_in: int | None = None, status: str = ""):
    item = submit(email=f"p{SubjectRequest.objects.count()}@example.org")
    if assignee is not None:
        assignment.assign(item, officer=assignee, assignee=assignee)
    changes: dict[str, object] = {
        "due_on": DAY + timedelta(days=due_in),
        "strict_due_on": DAY + timedelta(days=due_in if strict_in is None else strict_in),
    }
    if status:
        changes["status"] = status
    SubjectRequest.objects.filter(pk=item.pk).update(**changes)
    return item.reference


def refs(lines):
    return [line["reference"] for line in lines]


def test_each_officer_gets_their_due_soon_overdue_and_last_chance_requests(outbox):
    anna, _ = make_officer(email="anna@example.org")
    anna.language = "de"
    anna.save()
    ben, _ = make_officer(email="ben@example.org")
    admin, _ = make_officer(email="admin@example.org", role=Role.ADMIN)
    overdue = case(anna, -2)
    soon = case(anna, 3)
    case(anna, 20)  # not yet
    last_chance = case(anna, 25, strict_in=1)
    case(anna, -5, status=Status.COMPLETED)  # closed: never listed
    bens = case(ben, -1)
    unassigned = case(None, 10)

    mine = sections(anna, DAY)
    assert refs(mine["overdue"]) == [overdue]
    assert refs(mine["due_soon"]) == [soon]
    assert refs(mine["last_chance"]) == [last_chance]
    assert mine["unassigned"] == mine["all_overdue"] == []
    assert refs(sections(ben, DAY)["overdue"]) == [bens]
    admins = sections(admin, DAY)
    assert refs(admins["unassigned"]) == [unassigned]
    assert refs(admins["all_overdue"]) == [overdue, bens]

    outbox.messages.clear()
    assert send_digests(DAY) == 3
    german = outbox.last_to("anna@example.org")
    assert german.subject.startswith("Anträge zur Bearbeitung")
    assert "2 Tage überfällig" in german.body
    for reference in (overdue, soon, last_chance):
        assert reference in german.body
    for reference in (bens, unassigned):
        assert reference not in german.body
    assert "@example.org" not in german.body  # references and dates, no requester's address
    assert unassigned in outbox.last_to("admin@example.org").body


def test_an_officer_assigns_a_case_only_to_staff(client, outbox):
    anna, secret = make_officer(email="anna@example.org")
    ben, _ = make_officer(email="ben@example.org")
    stranger = UserFactory(email="stranger@example.org")
    item = submit()
    login_with_totp(client, anna.email, PASSWORD, secret)
    url = reverse("staff:case_action", args=[item.reference, "assign"])
    client.post(url, {"assignee": stranger.pk})
    assert SubjectRequest.objects.get(pk=item.pk).assignee is None
    client.post(url, {"assignee": ben.pk})
    item.refresh_from_db()
    assert item.assignee == ben
    event = item.events.get(kind=EventKind.ASSIGNED)
    assert (event.actor, event.data) == (anna, {"assignee": ben.pk})
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert f'<option value="{ben.pk}" selected>' in page


def test_internal_notes_stay_internal(client, outbox):
    from dsr.models import CaseNote

    anna, secret = make_officer(email="anna@example.org")
    item = submit()
    login_with_totp(client, anna.email, PASSWORD, secret)
    sent = len(outbox.messages)
    url = reverse("staff:case_action", args=[item.reference, "note"])
    client.post(url, {"body": "   "})
    assert not CaseNote.objects.exists()
    client.post(url, {"body": "Caller sounded like her brother; check the ID carefully."})
    note = CaseNote.objects.get()
    assert note.author == anna
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert "check the ID carefully" in page
    event = item.events.get(kind=EventKind.NOTE_ADDED)
    assert event.data == {"note": note.pk}
    assert event.reason == ""  # the timeline says a note was written, not what
    assert len(outbox.messages) == sent  # nobody is told

    requester = client.__class__()
    session = requester.session
    session["dsr_status_access"] = {str(item.pk): 9e12}  # as after the e-mailed code
    session.save()
    status = requester.get(reverse("dsr:status", args=[status_token(item)]))
    assert item.reference in status.content.decode()
    assert "check the ID carefully" not in status.content.decode()
    assert "Internal note" not in status.content.decode()


def test_the_case_page_lists_the_letters_sent_without_one_time_codes(client, outbox):
    from dsr.models import SentLetter
    from tests.helpers import code_in

    item = submit()
    code = code_in(outbox.last_to(item.email))
    verification.verify_with_code(item, code)
    letters = list(SentLetter.objects.filter(request=item))
    assert len(letters) == len([m for m in outbox.messages if item.email in m.to])
    first, verified = letters[0], letters[-1]
    assert first.body == ""  # it carried the code
    assert verified.template == "verified"
    assert verified.with_pdf
    assert item.reference in verified.body
    assert all(code not in letter.body for letter in letters)
    anna, secret = make_officer(email="anna@example.org")
    login_with_totp(client, anna.email, PASSWORD, secret)
    page = client.get(reverse("staff:case", args=[item.reference])).content.decode()
    assert verified.subject in page
    assert first.subject in page


class RefusingBackend:
    """A mail server that refuses one address and takes the rest (like a full mailbox)."""

    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        for message in messages:
            if "anna@" in message.to[0]:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (552, b"mailbox full")})
            self.sent.append(message)
        return len(messages)


def test_one_refused_digest_does_not_cost_the_others_theirs(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.sent = []
    anna, _ = make_officer(email="anna@example.org")
    ben, _ = make_officer(email="ben@example.org")
    case(anna, -1)
    bens = case(ben, -1)
    RefusingBackend.sent = []  # the requesters' own e-mails
    assert send_digests(DAY) == 2  # both owed
    assert [m.to for m in RefusingBackend.sent] == [["ben@example.org"]]
    assert bens in RefusingBackend.sent[0].body
    refused = Delivery.objects.get(label="digest", args=[anna.pk, DAY.isoformat()])
    # Refused for good: failed, with a reason that does not repeat the address.
    assert refused.state == DeliveryState.FAILED
    assert refused.error == "SMTPRecipientsRefused"
    # Sent once however often the digest runs that day.
    assert send_digests(DAY) == 2
    assert [m.to for m in RefusingBackend.sent] == [["ben@example.org"]]
