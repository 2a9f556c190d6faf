"""Filing that forgives: several rights in one submission, limits sized for people that keep
the form, and a bot check that needs neither a third party nor JavaScript."""

import re
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from dsr.core import ratelimit
from dsr.models import RequestedRight, SubjectRequest

pytestmark = pytest.mark.django_db(transaction=True)

SEVERAL = reverse("dsr:several") + "?right=access&right=erasure"
BOTH = {
    "requester": "myself",
    "email": "erika@example.org",
    "name": "Erika Mustermann",
    "access-scope": "Meine Bestellungen",
    "erasure-scope": "parts",
    "erasure-parts": "Meine Chatverläufe",
}


def german(client):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})


def stamp_in(page: str) -> str:
    found = re.search(r'name="stamp" value="([^"]+)"', page)
    assert found, "the form carries no stamp"
    return found.group(1)


def test_the_start_page_offers_each_right_as_a_box_to_tick_and_a_link(client):
    page = client.get(reverse("dsr:start")).content.decode()
    assert 'name="right" value="access"' in page
    assert 'name="right" value="erasure"' in page
    assert reverse("dsr:intake", args=["access"]) in page


def test_one_ticked_right_opens_its_own_form_and_none_goes_back_with_a_message(client):
    one = client.get(reverse("dsr:several") + "?right=erasure")
    assert one.status_code == 302
    assert one["Location"] == reverse("dsr:intake", args=["erasure"])
    german(client)
    none = client.get(reverse("dsr:several"), follow=True)
    assert none.redirect_chain[-1][0] == reverse("dsr:start")
    assert "Bitte kreuzen Sie mindestens eine Anfrage an." in none.content.decode()


def test_a_right_that_is_not_offered_is_left_out(client):
    # Nothing in the seeded register decides automatically: no Art. 22 review online.
    response = client.get(reverse("dsr:several") + "?right=access&right=automated_decision")
    assert response["Location"] == reverse("dsr:intake", args=["access"])


def test_access_and_erasure_in_one_submission_are_one_request_with_one_e_mail(client, outbox):
    german(client)
    page = client.get(SEVERAL).content.decode()
    assert 'id="right-access"' in page
    assert 'id="right-erasure"' in page
    assert 'name="erasure-parts"' in page
    response = client.post(SEVERAL, BOTH)
    assert response.status_code == 302
    assert response["Location"] == reverse("dsr:sent")
    item = SubjectRequest.objects.get()
    assert item.language == "de"
    details = {r.right: r.details for r in RequestedRight.objects.filter(request=item)}
    assert details == {
        "access": {"scope": "Meine Bestellungen"},
        "erasure": {"scope": "parts", "parts": "Meine Chatverläufe"},
    }
    assert len(outbox.to("erika@example.org")) == 1  # one confirmation, one code, one reference
    assert item.reference in outbox.last_to("erika@example.org").body


def test_each_rights_mistakes_show_in_its_own_fieldset_and_nothing_is_filed(client):
    german(client)
    page = client.post(SEVERAL, {**BOTH, "erasure-parts": ""}).content.decode()
    assert 'id="field-erasure-parts"' in page
    assert "Bitte geben Sie an, welche Daten wir löschen sollen." in page
    assert "Meine Bestellungen" in page  # what was typed stays
    assert not SubjectRequest.objects.exists()


def test_the_limit_page_keeps_the_form_and_says_when_to_try_again_in_german(client, settings):
    settings.DSR_RATE_INTAKE_PER_EMAIL = "1/86400"
    german(client)
    with time_machine.travel(datetime(2026, 12, 4, 9, 30, tzinfo=UTC), tick=False):
        assert client.post(SEVERAL, BOTH).status_code == 302
        again = client.post(SEVERAL, {**BOTH, "access-scope": "Nur die Rechnungen"})
    assert again.status_code == 429
    page = again.content.decode()
    assert "Zu viele Versuche" in page
    assert "Nur die Rechnungen" in page
    assert 'value="erika@example.org"' in page
    # A day's window from 09:30 UTC: it frees at 10:30 in Berlin the next day, said so.
    assert "5. Dezember 2026 10:30" in page
    assert SubjectRequest.objects.count() == 1


def test_the_ip_limit_counts_an_hour_and_only_valid_submissions(client, settings):
    settings.DSR_RATE_INTAKE_PER_IP = "2/3600"
    for _ in range(5):  # a person correcting mistakes is not held back by them
        assert client.post(SEVERAL, {**BOTH, "email": ""}).status_code == 200
    for n in range(2):
        assert client.post(SEVERAL, {**BOTH, "email": f"p{n}@example.org"}).status_code == 302
    assert client.post(SEVERAL, {**BOTH, "email": "p9@example.org"}).status_code == 429


def test_the_default_limits_are_per_address_per_day_and_per_ip_per_hour():
    from dsr import settings as defaults

    assert ratelimit.parse_rate(defaults.DSR_RATE_INTAKE_PER_EMAIL)[1] == 86400
    assert ratelimit.parse_rate(defaults.DSR_RATE_INTAKE_PER_IP)[1] == 3600


def test_a_refused_hit_says_when_its_window_frees():
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), tick=False):
        assert ratelimit.hit("t", "x", "1/600").allowed
    with time_machine.travel(datetime(2026, 12, 4, 9, 4, tzinfo=UTC), tick=False):
        refused = ratelimit.hit("t", "x", "1/600")
    assert not refused.allowed
    assert refused.frees_at == datetime(2026, 12, 4, 9, 10, tzinfo=UTC)


@pytest.fixture
def bot_check(settings):
    settings.DSR_INTAKE_FORM_CHECK = True
    settings.DSR_INTAKE_MIN_SECONDS = 3
    settings.DSR_INTAKE_FORM_HOURS = 24
    return settings


def test_a_form_sent_as_soon_as_it_opened_comes_back_with_what_was_typed(client, bot_check):
    stamp = stamp_in(client.get(SEVERAL).content.decode())
    page = client.post(SEVERAL, {**BOTH, "stamp": stamp}).content.decode()
    assert "sent very quickly after it opened" in page
    assert "Meine Chatverläufe" in page
    assert not SubjectRequest.objects.exists()
    # The same form, a moment later (no script needed): filed.
    with time_machine.travel(time.time() + 4):
        response = client.post(SEVERAL, {**BOTH, "stamp": stamp_in(page)})
    assert response.status_code == 302
    assert SubjectRequest.objects.count() == 1


def test_one_rendered_form_files_once(client, bot_check):
    stamp = stamp_in(client.get(SEVERAL).content.decode())
    with time_machine.travel(time.time() + 5):
        assert client.post(SEVERAL, {**BOTH, "stamp": stamp}).status_code == 302
        replay = client.post(SEVERAL, {**BOTH, "stamp": stamp, "email": "bot@example.org"})
    assert replay.status_code == 200
    assert "This form has been sent already" in replay.content.decode()
    assert stamp_in(replay.content.decode()) != stamp  # a fresh form to send, if meant
    assert SubjectRequest.objects.count() == 1


@pytest.mark.parametrize("stamp", ["", "forged", None])
def test_a_missing_forged_or_day_old_stamp_files_nothing(client, bot_check, stamp):
    if stamp is None:
        with time_machine.travel(time.time() - 25 * 3600):
            stamp = stamp_in(client.get(SEVERAL).content.decode())
    page = client.post(SEVERAL, {**BOTH, "stamp": stamp}).content.decode()
    assert "This form was open for a long time" in page
    assert not SubjectRequest.objects.exists()


def test_the_one_right_form_carries_the_stamp_too(client, bot_check):
    path = reverse("dsr:intake", args=["access"])
    fields = {"requester": "myself", "email": "erika@example.org", "scope": ""}
    assert client.post(path, fields).status_code == 200  # no stamp: not filed
    stamp = stamp_in(client.get(path).content.decode())
    with time_machine.travel(time.time() + 5):
        assert client.post(path, {**fields, "stamp": stamp}).status_code == 302


def test_too_many_codes_are_told_when_they_may_try_again(client, settings):
    settings.DSR_RATE_CODES_PER_IP = "1/3600"
    client.post(SEVERAL, BOTH)
    sent = reverse("dsr:sent")
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, tzinfo=UTC), tick=False):
        assert client.post(sent, {"code": "000000"}).status_code == 200
        refused = client.post(sent, {"code": "000001"})
    assert refused.status_code == 429
    assert "Please try again from 4 December 2026, 11:00" in refused.content.decode()
