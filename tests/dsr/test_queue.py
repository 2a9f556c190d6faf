"""The officers' queue: filters, badges, masking, saved filters, bulk assignment, query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from dsr.core.clock import today
from dsr.models import (
    ConnectorJob,
    EventKind,
    JobStatus,
    RequestEvent,
    SavedFilter,
    Status,
    SubjectRequest,
)
from tests.factories import PASSWORD, UserFactory, make_officer, submit
from tests.form_markup import by_id, duplicate_ids, elements, label_for
from tests.helpers import login_with_totp
from tests.synthetic import add_requests

pytestmark = pytest.mark.django_db

URL = reverse("staff:cases")


@pytest.fixture
def anna(client):
    user, _secret = make_officer(email="anna@example.org")
    client.force_login(user)
    return user


def shown(response) -> list[str]:
    """The references on the page, in order."""
    import re

    return re.findall(r'data-reference="([^"]+)"', response.content.decode())


def queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert shown(response), query  # compare pages with rows, not an empty page
    return len(captured)


def test_the_query_count_does_not_grow_with_the_number_of_requests(client, anna):
    ben, _ = make_officer(email="ben@example.org")
    on = today()
    # Six requests, due from 4 days ahead to a day ago: every filter below finds some.
    add_requests(6, on=on, officers=[anna, ben, None], start=36, failed_every=2)
    filters = [
        "",
        "due=overdue",
        "failed=on&right=rectification",
        "assignee=me&sort=-received",
        "page=2",
    ]
    client.get(URL)  # the first page after the login writes the staff session's limits once
    few = [queries(client, query) for query in filters]
    add_requests(240, on=on, officers=[anna, ben, None], start=100, failed_every=2)
    many = [queries(client, query) for query in filters]
    assert many == few
    assert max(many) <= 14  # session, user, permissions, MFA, officers, count, page, rights…
    page = client.get(URL)
    assert len(shown(page)) == 50  # a full page, every row with its rights, assignee, jobs
    assert b"246" in page.content  # the total


def test_the_badges_and_the_default_order_by_due_date(client, anna):
    on = today()
    overdue = submit(email="a@example.org")
    soon = submit(email="b@example.org")
    later = submit(email="c@example.org")
    paused = submit(email="d@example.org")
    for item, days in ((overdue, -3), (soon, 5), (later, 20), (paused, 2)):
        SubjectRequest.objects.filter(pk=item.pk).update(due_on=on + timedelta(days=days))
    SubjectRequest.objects.filter(pk=paused.pk).update(paused=True)
    html = client.get(URL).content.decode()
    assert shown(client.get(URL)) == [
        overdue.reference,
        paused.reference,
        soon.reference,
        later.reference,
    ]
    for key in ("overdue", "paused", "due_soon", "on_track"):
        assert f'data-badge="{key}"' in html
    assert "3 days overdue" in html
    assert "5 days left" in html
    assert shown(client.get(f"{URL}?due=overdue")) == [overdue.reference]
    assert shown(client.get(f"{URL}?due=7")) == [paused.reference, soon.reference]
    assert shown(client.get(f"{URL}?due=paused")) == [paused.reference]
    assert shown(client.get(f"{URL}?sort=-due"))[0] == later.reference


def test_the_subject_is_masked_until_the_case_is_opened(client, anna):
    item = submit(email="erika.mustermann@example.org", name="Erika Mustermann")
    html = client.get(URL).content.decode()
    assert "erika.mustermann@example.org" not in html
    assert "Mustermann" not in html
    assert "e•••@e•••.org" in html
    assert "E. M." in html
    assert "erika.mustermann@example.org" in client.get(
        reverse("staff:case", args=[item.reference])
    ).content.decode("utf-8")


def test_filters_by_status_right_assignee_language_failed_jobs_and_search(client, anna):
    ben, _ = make_officer(email="ben@example.org")
    access = submit(email="x@example.org", language="de")
    erasure = submit(email="Y.Person@Example.org", right="erasure")
    closed = submit(email="z@example.org")
    SubjectRequest.objects.filter(pk=closed.pk).update(status=Status.COMPLETED)
    SubjectRequest.objects.filter(pk=access.pk).update(assignee=anna, status=Status.IN_PROGRESS)
    SubjectRequest.objects.filter(pk=erasure.pk).update(assignee=ben)
    ConnectorJob.objects.create(
        request=erasure, system="crm", action="locate", status=JobStatus.FAILED
    )

    def refs(query: str) -> set[str]:
        return set(shown(client.get(f"{URL}?{query}")))

    assert refs("") == {access.reference, erasure.reference}  # never a closed request
    assert refs("right=erasure") == {erasure.reference}
    assert refs("assignee=me") == {access.reference}
    assert refs(f"assignee={ben.pk}") == {erasure.reference}
    assert refs("assignee=none") == set()
    assert refs("language=de") == {access.reference}
    assert refs("status=in_progress") == {access.reference}
    assert refs("failed=on") == {erasure.reference}
    assert refs("q=y.person%40example.ORG") == {erasure.reference}  # any case
    assert refs(f"q={access.reference.lower()}") == {access.reference}
    assert refs(f"q={closed.reference}") == set()
    html = client.get(URL).content.decode()
    assert 'data-failed="1"' in html
    # An unknown choice is shown as an error and ignored, not a server error.
    response = client.get(f"{URL}?right=nonsense")
    assert response.status_code == 200
    assert refs("right=nonsense") == {access.reference, erasure.reference}


def test_pages_keep_the_filters(client, anna):
    add_requests(60, on=today(), officers=[anna])
    html = client.get(f"{URL}?assignee=me").content.decode()
    assert "?assignee=me&amp;page=2" in html
    assert len(shown(client.get(f"{URL}?assignee=me&page=2"))) == 10


def test_saved_filters_belong_to_their_officer(client, anna):
    response = client.post(
        reverse("staff:save_filter"),
        {"name": "My overdue", "query": "assignee=me&due=overdue&page=3&evil=1&q=x%40example.org"},
    )
    saved = SavedFilter.objects.get(owner=anna)
    # No page number, nothing unknown, no search (it can be a requester's address).
    assert saved.query == "assignee=me&due=overdue"
    assert response["Location"] == f"{URL}?assignee=me&due=overdue"
    assert "My overdue" in client.get(URL).content.decode()
    # Saving under the same name replaces it.
    client.post(reverse("staff:save_filter"), {"name": "My overdue", "query": "due=7"})
    assert SavedFilter.objects.get(owner=anna).query == "due=7"

    ben, _ = make_officer(email="ben@example.org")
    client.force_login(ben)
    assert "My overdue" not in client.get(URL).content.decode()
    delete = reverse("staff:delete_filter", args=[saved.pk])
    assert client.post(delete).status_code == 404
    client.force_login(anna)
    client.post(delete)
    assert not SavedFilter.objects.exists()


def test_bulk_assign_records_each_assignment(client, anna):
    ben, _ = make_officer(email="ben@example.org")
    first, second, third, closed = (submit(email=f"p{n}@example.org") for n in range(4))
    SubjectRequest.objects.filter(pk=closed.pk).update(status=Status.WITHDRAWN)
    response = client.post(
        reverse("staff:bulk_assign"),
        {"ids": [first.pk, second.pk, closed.pk], "assignee": ben.pk, "next": f"{URL}?due=7"},
    )
    assert response["Location"] == f"{URL}?due=7"
    assert set(SubjectRequest.objects.filter(assignee=ben).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    events = RequestEvent.objects.filter(kind=EventKind.ASSIGNED)
    assert {(e.request_id, e.actor_id, e.data["assignee"]) for e in events} == {
        (first.pk, anna.pk, ben.pk),
        (second.pk, anna.pk, ben.pk),
    }
    assert SubjectRequest.objects.get(pk=third.pk).assignee is None
    assert SubjectRequest.objects.get(pk=closed.pk).assignee is None  # closed: left alone
    # Back to nobody; an outside "next" is not followed.
    response = client.post(
        reverse("staff:bulk_assign"), {"ids": [first.pk], "next": "https://evil.example/"}
    )
    assert response["Location"] == URL
    assert SubjectRequest.objects.get(pk=first.pk).assignee is None


def test_each_row_has_its_labelled_checkbox_of_the_bulk_form(client, anna):
    first, second = (submit(email=f"p{n}@example.org") for n in range(2))
    page = client.get(URL).content.decode()
    assert duplicate_ids(page) == []
    boxes = [e for e in elements(page) if e.attrs.get("name") == "ids"]
    assert {box.attrs["value"] for box in boxes} == {str(first.pk), str(second.pk)}
    for box in boxes:
        assert (box.attrs["type"], box.attrs["form"]) == ("checkbox", "bulk")
        assert "form-check-input" in box.classes
        reference = SubjectRequest.objects.get(pk=box.attrs["value"]).reference
        assert label_for(page, box.attrs["id"]) == f"Select {reference}"
    assert by_id(page, "bulk").tag == "form"
    assert by_id(page, "id_next").attrs["value"] == f"{URL}?"


def test_bulk_assign_only_to_officers_and_with_a_selection(client, anna):
    stranger = UserFactory(email="stranger@example.org")
    item = submit()
    client.post(reverse("staff:bulk_assign"), {"ids": [item.pk], "assignee": stranger.pk})
    assert SubjectRequest.objects.get(pk=item.pk).assignee is None
    response = client.post(reverse("staff:bulk_assign"), {"assignee": anna.pk}, follow=True)
    assert "Select at least one request." in response.content.decode()


def test_the_queue_needs_an_officer_with_mfa(client):
    response = client.get(URL)
    assert response.status_code == 302
    user = UserFactory(email="someone@example.org")
    client.force_login(user)
    assert client.get(URL).status_code == 403
    admin, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    client.logout()
    login_with_totp(client, admin.email, PASSWORD, secret)
    assert client.get(URL).status_code == 200
