"""The status page tells the story: what was asked, the closing steps with their letters, and
one signed link by e-mail to all of a person's requests, without an account (issue 17, item 5)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dsr.core.tokens import request_from_status_token, status_token
from dsr.models import SentLetter, Status, SubjectRequest
from dsr.services import verification, withdrawal
from tests.factories import make_officer, submit
from tests.helpers import code_in, path_of

pytestmark = pytest.mark.django_db(transaction=True)


def opened(client, item, outbox, token: str = "") -> str:
    """The status page, unlocked with the e-mailed code as the person would."""
    url = reverse("dsr:status", args=[token or status_token(item)])
    client.post(url, {"send": "1"})
    client.post(url, {"code": code_in(outbox.last_to(item.answer_email))})
    page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


def test_the_status_page_shows_what_was_asked_with_the_forms_labels(client, outbox):
    item = submit(
        right="erasure", details={"scope": "parts", "parts": "Meine Chatverläufe"}, language="de"
    )
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    page = opened(client, item, outbox)
    asked = page[page.index('id="asked"') :]
    assert "Was Sie beantragt haben" in asked
    assert "Was sollen wir löschen?" in asked
    assert "Nur bestimmte Daten" in asked  # the choice as the person saw it, not "parts"
    assert "Meine Chatverläufe" in asked


def test_a_withdrawn_request_shows_the_step_with_a_link_to_its_letter(client, outbox):
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    withdrawal.withdraw(SubjectRequest.objects.get(pk=item.pk))
    token = status_token(item)
    page = opened(client, item, outbox, token)
    sent = SentLetter.objects.get(request=item, template="withdrawn")
    link = reverse("dsr:status_letter", args=[token, sent.pk])
    assert link in page
    assert 'id="due-date"' not in page  # closed: no due date
    letter = client.get(link).content.decode()
    assert sent.subject in letter
    assert sent.body.splitlines()[0] in letter
    pdf = client.get(link + "?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_refusal_step_links_to_the_refusal_letter(client, outbox, settings):
    from dsr.demo import load_demo
    from dsr.services.refusals import Refusal, refuse

    settings.DSR_FOUR_EYES = []
    load_demo()
    officer, _ = make_officer()
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    refuse(
        SubjectRequest.objects.get(pk=item.pk),
        officer=officer,
        refusal=Refusal(
            "manifestly_unfounded", reasons="Nur um uns zu beschäftigen.", sub_ground="malicious"
        ),
    )
    token = status_token(item)
    page = opened(client, item, outbox, token)
    sent = SentLetter.objects.get(request=item, template="refused")
    assert reverse("dsr:status_letter", args=[token, sent.pk]) in page
    letter = client.get(reverse("dsr:status_letter", args=[token, sent.pk]))
    assert "Nur um uns zu beschäftigen." in letter.content.decode()


def test_a_letter_is_shown_only_to_whoever_may_see_the_request(client, outbox):
    item = submit()
    withdrawal.withdraw(item)
    sent = SentLetter.objects.get(request=item, template="withdrawn")
    link = reverse("dsr:status_letter", args=[status_token(item), sent.pk])
    stranger = client.get(link)
    assert stranger.status_code == 302  # to the status page, which asks for the code
    other = submit(email="otto@example.org")
    theirs = reverse("dsr:status_letter", args=[status_token(other), sent.pk])
    opened(client, other, outbox)
    assert client.get(theirs).status_code == 404  # another request's letter


def status_links(page: str) -> set[int]:
    """The requests whose status pages a page links to (a status token signs its moment)."""
    found = set()
    for token in re.findall(r'href="/r/([^/"]+)/"', page):
        item = request_from_status_token(token)
        if item is not None:
            found.add(item.pk)
    return found


def ask_for_list(client, email):
    return client.post(reverse("dsr:request_list"), {"email": email})


def test_one_e_mail_links_to_all_the_requests_answered_at_an_address(client, outbox):
    first = submit(right="access")
    second = submit(right="erasure", details={"scope": "all", "parts": ""})
    withdrawal.withdraw(second)
    other = submit(email="otto@example.org")
    before = len(outbox.to("erika@example.org"))
    response = ask_for_list(client, "Erika@Example.org")
    assert response.status_code == 200
    mails = outbox.to("erika@example.org")
    assert len(mails) == before + 1
    link = next(u for u in outbox.links(mails[-1]) if "/my-requests/" in u)
    assert "erika" not in link.lower()  # the address is encrypted in the link

    visitor = Client()  # e.g. the phone where the e-mail is read
    button = visitor.get(path_of(link))
    assert "Show my requests" in button.content.decode()  # a mail scanner's GET opens nothing
    listed = visitor.post(path_of(link), follow=True).content.decode()
    for item in (first, second):
        assert item.reference in listed
    assert status_links(listed) == {first.pk, second.pk}
    assert other.reference not in listed
    assert "Withdrawn" in listed
    assert "closed on" in listed
    assert "due by" in listed
    # The list opened each status page, as the code would have.
    page = visitor.get(reverse("dsr:status", args=[status_token(first)]))
    assert 'id="request-status"' in page.content.decode()
    # The case page's copy of the e-mail keeps no working link.
    kept = SentLetter.objects.get(template="request_list")
    assert "/my-requests/" not in kept.body


def test_asking_for_the_list_answers_the_same_for_any_address(client, outbox):
    submit()
    pages = []
    for email in ("erika@example.org", "nobody@example.org"):
        page = ask_for_list(Client(), email).content.decode()
        pages.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))
    assert pages[0] == pages[1]
    assert not outbox.to("nobody@example.org")  # no e-mail to an address with no requests


def test_an_address_gets_only_so_many_list_e_mails_and_an_ip_is_told_when_to_try_again(
    client, outbox, settings
):
    settings.DSR_RATE_REQUEST_LIST_PER_EMAIL = "2/86400"
    settings.DSR_RATE_REQUEST_LIST_PER_IP = "4/3600"
    submit()
    before = len(outbox.to("erika@example.org"))
    codes = [ask_for_list(client, "erika@example.org").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    assert len(outbox.to("erika@example.org")) == before + 2  # the same answer, no more mail
    assert "Please try again from" in ask_for_list(client, "x@example.org").content.decode()


def test_the_list_link_expires(client, outbox, settings):
    settings.DSR_REQUEST_LIST_LINK_DAYS = 7
    submit()
    ask_for_list(client, "erika@example.org")
    link = next(
        u for u in outbox.links(outbox.last_to("erika@example.org")) if "/my-requests/" in u
    )
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(path_of(link))
    assert response.status_code == 410
    assert 'id="list-link-expired"' in response.content.decode()
    assert client.get(path_of(link[:-3] + "abc/")).status_code == 410  # altered


def test_a_closed_request_past_its_status_link_days_is_listed_without_a_link(
    client, outbox, settings
):
    item = submit()
    withdrawal.withdraw(item)
    ask_for_list(client, "erika@example.org")
    link = next(
        u for u in outbox.links(outbox.last_to("erika@example.org")) if "/my-requests/" in u
    )
    settings.DSR_STATUS_LINK_DAYS = 0
    listed = client.post(path_of(link), follow=True).content.decode()
    assert item.reference in listed
    assert status_links(listed) == set()
    assert SubjectRequest.objects.get().status == Status.WITHDRAWN


def test_the_list_links_token_is_masked_in_logs():
    from dsr.core.tokens import request_list_token
    from dsr.logmask import mask

    token = request_list_token("erika@example.org")
    assert mask(f"Not Found: /my-requests/{token}/") == "Not Found: /my-requests/[…]/"
    assert mask("Not Found: /my-requests/link/") == "Not Found: /my-requests/link/"


def test_the_details_are_listed_in_the_forms_order():
    from dsr.forms import detail_rows

    rows = detail_rows("erasure", {"parts": "Meine Chatverläufe", "scope": "parts"})
    assert [label for label, _ in rows] == ["What should we erase?", "Which data?"]
