"""Every right's journey through the intake pages, with the e-mails and the status page."""

import re

import pytest
from django.urls import reverse

from dsr.forms import FORMS, REQUESTER_FIELDS
from dsr.models import EventKind, RequestedRight, Status, SubjectRequest
from dsr.rights import Right
from tests.factories import PASSWORD, UserFactory
from tests.helpers import code_in, free_port, path_of

pytestmark = pytest.mark.django_db(transaction=True)

JOURNEYS = {
    Right.ACCESS: ({"scope": ""}, {"scope": ""}),
    Right.RECTIFICATION: (
        {"inaccurate": "My street", "correction": "Hahnstraße 43d", "statement": ""},
        {"inaccurate": "My street", "correction": "Hahnstraße 43d", "statement": ""},
    ),
    Right.ERASURE: ({"scope": "all", "parts": ""}, {"scope": "all", "parts": ""}),
    Right.RESTRICTION: ({"ground": "a", "details": ""}, {"ground": "a", "details": ""}),
    Right.PORTABILITY: (
        {"transmit": "on", "recipient_name": "Other GmbH", "recipient_contact": "dpo@other.de"},
        {"transmit": True, "recipient_name": "Other GmbH", "recipient_contact": "dpo@other.de"},
    ),
    Right.OBJECTION: (
        {"kind": "direct_marketing", "situation": ""},
        {"kind": "direct_marketing", "situation": ""},
    ),
    Right.CONSENT_WITHDRAWAL: ({"consent": "Newsletter"}, {"consent": "Newsletter"}),
}

# The due date as each language's DATE_FORMAT prints it, to find it in the e-mails.
SUBJECT_LINE = {
    "en": "We have received your request",
    "de": "Wir haben Ihre Anfrage",
    "nl": "We hebben uw verzoek",
}


def file_request(client, right, fields, *, language="en", email="erika@example.org"):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client.post(
        reverse("dsr:intake", args=[right.value]),
        {"requester": "myself", "email": email, **fields},
    )


@pytest.mark.parametrize(
    ("right", "language"),
    [
        (Right.ACCESS, "en"),
        (Right.RECTIFICATION, "de"),
        (Right.ERASURE, "nl"),
        (Right.RESTRICTION, "en"),
        (Right.PORTABILITY, "de"),
        (Right.OBJECTION, "nl"),
        (Right.CONSENT_WITHDRAWAL, "de"),
    ],
)
def test_each_right_is_filed_confirmed_and_followed(client, outbox, right, language):
    fields, stored = JOURNEYS[right]
    response = file_request(client, right, fields, language=language)
    assert response.status_code == 302
    assert response["Location"] == reverse("dsr:sent")

    item = SubjectRequest.objects.get()
    assert re.fullmatch(r"DSR-\d{4}-\d{5}", item.reference)
    assert item.status == Status.AWAITING_VERIFICATION
    assert item.language == language
    assert RequestedRight.objects.get(request=item).details == stored

    message = outbox.last_to("erika@example.org")
    assert SUBJECT_LINE[language] in message.subject
    assert item.reference in message.subject
    from django.utils import formats, translation

    with translation.override(language):
        due = formats.date_format(item.due_on, "DATE_FORMAT")
        received = formats.date_format(item.received_on, "DATE_FORMAT")
    assert due in message.body
    assert received in message.body
    assert outbox.html(message)  # the HTML part exists too

    response = client.post(reverse("dsr:sent"), {"code": code_in(message)})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.VERIFIED
    confirmation = outbox.last_to("erika@example.org")
    assert confirmation is not message
    assert due in confirmation.body

    page = client.get(response["Location"]).content.decode()
    assert item.reference in page
    assert due in page
    assert 'id="due-date"' in page


def test_no_form_asks_why_the_data_is_wanted():
    access = set(FORMS[Right.ACCESS].base_fields) - set(REQUESTER_FIELDS)
    assert access == {"scope"}
    for form in FORMS.values():
        for name, field in form.base_fields.items():
            assert "why do you" not in str(field.label).lower(), name


@pytest.mark.parametrize(
    ("right", "fields", "error_field", "german"),
    [
        # Nothing correct named and no statement either (a statement alone would do).
        (Right.RECTIFICATION, {"inaccurate": "x", "correction": ""}, "correction", "oder fügen"),
        (Right.ERASURE, {"scope": "parts", "parts": ""}, "parts", "welche Daten"),
        (Right.RESTRICTION, {"details": "x"}, "ground", "Dieses Feld"),
        (Right.PORTABILITY, {"transmit": "on"}, "recipient_name", "übermitteln"),
        (Right.OBJECTION, {"kind": "particular_situation"}, "situation", "besondere Situation"),
    ],
)
def test_missing_answers_are_shown_next_to_the_field_in_german(
    client, right, fields, error_field, german
):
    response = file_request(client, right, fields, language="de")
    assert response.status_code == 200
    page = response.content.decode()
    block = page[page.index(f'id="field-{error_field}"') :][:3000]
    assert "invalid-feedback" in block
    assert german in block
    assert not SubjectRequest.objects.exists()


def test_an_e_mail_address_is_required(client):
    response = file_request(client, Right.ACCESS, {}, email="")
    assert "Please give your e-mail address." in response.content.decode()
    response = file_request(client, Right.ACCESS, {}, email="not-an-address")
    assert "Enter a valid email address." in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_oversized_input_is_refused_and_nothing_is_saved(client):
    response = file_request(client, Right.ACCESS, {"scope": "x" * 5001})
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert not SubjectRequest.objects.exists()


def test_a_logged_in_subject_is_verified_by_the_login_and_never_asked_for_id(client, outbox):
    user = UserFactory(email="erika@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = file_request(client, Right.ERASURE, JOURNEYS[Right.ERASURE][0])
    assert response.status_code == 302
    item = SubjectRequest.objects.get()
    assert item.status == Status.VERIFIED
    assert item.verification_method == "account"
    assert item.account_id == user.pk
    message = outbox.last_to(user.email)
    assert "code" not in message.body.lower()
    assert not item.challenges.exists()
    page = client.get(reverse("dsr:sent")).content.decode()
    assert "Thank you, we have your request" in page
    assert "identity document" not in page.lower()
    # and the account lists it, with a status page that needs no code
    listing = client.get(reverse("dsr:my_requests")).content.decode()
    assert item.reference in listing


def test_a_logged_in_subject_asking_for_another_address_confirms_that_address(client, outbox):
    user = UserFactory(email="erika@example.org")
    client.force_login(user)
    file_request(client, Right.ACCESS, {}, email="other@example.org")
    item = SubjectRequest.objects.get()
    assert item.status == Status.AWAITING_VERIFICATION
    assert outbox.last_to("other@example.org")


def test_a_second_request_for_the_same_right_is_linked_to_the_first(client, outbox):
    file_request(client, Right.ACCESS, {})
    first = SubjectRequest.objects.get()
    client.post(reverse("dsr:sent"), {"code": code_in(outbox.last_to("erika@example.org"))})
    other = client.__class__()
    file_request(other, Right.ACCESS, {}, email="ERIKA@example.org")
    second = SubjectRequest.objects.exclude(pk=first.pk).get()
    assert second.duplicate_of == first
    assert second.events.filter(kind=EventKind.LINKED).exists()
    # Linking does not block verification of the second one.
    other.post(reverse("dsr:sent"), {"code": code_in(outbox.to("erika@example.org")[-1])})
    second.refresh_from_db()
    assert second.status == Status.VERIFIED


def test_a_different_right_is_not_linked(client):
    file_request(client, Right.ACCESS, {})
    file_request(client.__class__(), Right.ERASURE, JOURNEYS[Right.ERASURE][0])
    assert SubjectRequest.objects.filter(duplicate_of__isnull=False).count() == 0


def normalised(page: str) -> str:
    page = re.sub(r"DSR-\d{4}-\d{5}", "DSR-REF", page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_known_and_unknown_addresses_get_identical_responses(client):
    UserFactory(email="known@example.org")
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        browser = client.__class__()
        response = file_request(browser, Right.ACCESS, {}, email=email)
        page = browser.get(reverse("dsr:sent"))
        answers.append(
            (response.status_code, response["Location"], normalised(page.content.decode()))
        )
    assert answers[0] == answers[1]


def test_filing_is_rate_limited_per_address_with_a_translated_message(client, settings):
    settings.DSR_RATE_INTAKE_PER_EMAIL = "2/3600"
    for _ in range(2):
        assert file_request(client.__class__(), Right.ACCESS, {}).status_code == 302
    response = file_request(client, Right.ACCESS, {}, language="nl")
    assert response.status_code == 429
    assert "Te veel pogingen" in response.content.decode()
    assert SubjectRequest.objects.count() == 2


def test_filing_is_rate_limited_per_ip(client, settings):
    settings.DSR_RATE_INTAKE_PER_IP = "3/3600"
    codes = [
        file_request(client, Right.ACCESS, {}, email=f"p{i}@example.org").status_code
        for i in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    page = file_request(client, Right.ACCESS, {}, language="de").content.decode()
    assert "Zu viele Versuche" in page


def test_the_verification_link_confirms_after_a_click(client, outbox):
    file_request(client, Right.ACCESS, {})
    link = next(u for u in outbox.links(outbox.last_to("erika@example.org")) if "/r/verify/" in u)
    visitor = client.__class__()  # e.g. the phone, where the e-mail is read
    page = visitor.get(path_of(link))
    assert page.status_code == 200
    assert SubjectRequest.objects.get().status == Status.AWAITING_VERIFICATION  # GET alone: no
    response = visitor.post(path_of(link))
    assert response.status_code == 302
    assert SubjectRequest.objects.get().status == Status.VERIFIED
    assert SubjectRequest.objects.get().verification_method == "email_link"
    again = visitor.post(path_of(link))
    assert again.status_code == 410
    assert "This link does not work any more" in again.content.decode()


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
    ],
)
def test_ipv6_clients_are_limited_by_their_network(address, counted_as):
    from dsr.core.ratelimit import client_ip

    assert client_ip({"REMOTE_ADDR": address}) == counted_as


def unreachable_cache(settings, url=""):
    """The shared cache on a Redis that does not answer (``url``: one the test starts later)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url or f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_filing_works_while_the_shared_cache_is_down_and_the_limits_still_hold(
    client, settings, caplog
):
    from dsr.models import RateCount

    unreachable_cache(settings)
    settings.DSR_RATE_INTAKE_PER_EMAIL = "2/3600"
    for _ in range(2):
        response = file_request(client.__class__(), Right.ACCESS, {})
        assert response.status_code == 302
        assert response["Location"] == reverse("dsr:sent")
    assert SubjectRequest.objects.count() == 2  # saved, as the person was told
    refused = file_request(client, Right.ACCESS, {}, language="de")
    assert refused.status_code == 429  # counted in the database meanwhile
    assert "Zu viele Versuche" in refused.content.decode()
    assert SubjectRequest.objects.count() == 2
    assert RateCount.objects.exists()
    assert "erika" not in " ".join(RateCount.objects.values_list("key", flat=True))
    assert "counted in the database: cache unavailable" in caplog.text
    assert "erika@example.org" not in caplog.text


@pytest.mark.postgres
def test_requests_filed_at_the_same_moment_get_consecutive_references(outbox):
    """Numbering comes last in the filing (the year's counter is locked until the commit),
    and still no number is skipped or given twice, and no stand-in is left behind."""
    import threading

    from django.db import connection

    from dsr.services.intake import Intake, SubjectDetails, submit_request

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    start = threading.Barrier(4)

    def file(n: int) -> None:
        start.wait()
        try:
            submit_request(
                intake=Intake(
                    rights={"access": {}},
                    subject=SubjectDetails(email=f"person{n}@example.org"),
                    language="en",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    references = sorted(SubjectRequest.objects.values_list("reference", flat=True))
    year = SubjectRequest.objects.get(email="person0@example.org").received_on.year
    assert references == [f"DSR-{year}-{n:05d}" for n in range(1, 5)]
    for n in range(4):
        item = SubjectRequest.objects.get(email=f"person{n}@example.org")
        assert item.reference in outbox.last_to(f"person{n}@example.org").subject
