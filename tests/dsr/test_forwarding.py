"""Forwarding (issue 15, item 8): a request to a joint controller (Art. 26(3)) or the part of it
about an organisation-administered account to that organisation (we are its data trustee).
The other controller gets a signed message, the person a letter in their language saying who
handles what; the portal still answers what it holds."""

import hashlib
import json

import pytest
from django.urls import reverse

from connectors import registry
from dsr.demo_register import load_register
from dsr.models import (
    AnswerPackage,
    EventKind,
    Forwarding,
    JobStatus,
    OtherController,
    RequestOutcome,
    SentLetter,
    Status,
)
from dsr.services import answers, forwarding, verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp, path_of, post_confirmed

pytestmark = pytest.mark.django_db(transaction=True)

FACEBOOK = "privacy-requests@facebook.example"
LOGISTIK = "datenschutz@beispiel-logistik.example"


@pytest.fixture
def two_systems(settings, tmp_path):
    """Our own shop, and the cloud console whose accounts customer organisations administer."""
    settings.DSR_CONNECTORS = {
        alias: {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": name,
            "OPTIONS": {"state_dir": str(tmp_path / alias)},
        }
        for alias, name in (("shop", "Shop"), ("console", "Cloud console"))
    }
    registry.reset()
    load_register()
    yield
    registry.reset()


def verified(outbox, **kwargs):
    item = submit(**kwargs)
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    item.refresh_from_db()
    return item


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_joint_controller_gets_the_signed_request_and_the_person_a_letter_in_german(
    two_systems, outbox, client
):
    officer, secret = make_officer()
    item = verified(outbox, email="erika@example.org", language="de", name="Erika Mustermann")
    login_with_totp(client, officer.email, PASSWORD, secret)
    page = one_line(client.get(reverse("staff:case", args=[item.reference])).content.decode())
    assert "Forwarding to another controller" in page
    facebook = OtherController.objects.get(name="Facebook Ireland Ltd")
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "forward"]),
        {"party": facebook.pk, "note": "Pixel data only, please."},
    )
    done = Forwarding.objects.get(request=item)
    assert done.whole
    assert done.party == facebook
    assert done.forwarded_by == officer
    event = item.events.get(kind=EventKind.FORWARDED)
    assert event.data["party"] == "Facebook Ireland Ltd"
    assert event.actor == officer

    # The joint controller: in its language (English), what is asked, who, and the proof link.
    message = outbox.last_to(FACEBOOK)
    body = one_line(message.body)
    assert item.reference in message.subject
    assert "As joint controllers (Art. 26 GDPR) we forward it to you" in body
    assert "A copy of your data (Art. 15 GDPR)" in body
    assert "Erika Mustermann, erika@example.org" in body
    assert "Pixel data only, please." in body
    done.refresh_from_db()
    assert done.body_sha256 == hashlib.sha256(message.body.encode()).hexdigest()
    stored = SentLetter.objects.get(request=item, template="forwarded_request")
    assert stored.to == FACEBOOK

    # The person: a German letter (with its PDF copy) saying who handles what and how to reach
    # them, and that we still answer for what we hold.
    letter = outbox.last_to("erika@example.org")
    text = one_line(letter.body)
    assert "weitergeleitet" in letter.subject
    assert "an Facebook Ireland Ltd weitergeleitet" in text
    assert "gemeinsam verantwortlich" in text
    assert "Facebook-Pixel und Custom Audiences" in text  # the register's German name
    assert "Gemeinsam verantwortlich sind wir nur für das Erheben" in text  # its arrangement
    assert "4 Grand Canal Square" in text
    assert "Für die Daten, für die wir selbst verantwortlich sind" in text
    assert letter.attachments
    assert letter.attachments[0][0].endswith("-forwarded.pdf")

    # Our own systems still run: nothing was taken out of our hands.
    assert not item.jobs.filter(status=JobStatus.SKIPPED).exists()

    # The link proves the message is ours and shows nothing about the person; altered, it
    # proves nothing.
    check = path_of(next(u for u in outbox.links(message) if "/f/" in u))
    stranger = client.__class__()
    genuine = one_line(stranger.get(check).content.decode())
    assert "This forwarded request is genuine" in genuine
    assert item.reference in genuine
    assert done.fingerprint in genuine
    assert "erika" not in genuine.lower()
    forged = stranger.get(check[:-4] + "abc/")
    assert forged.status_code == 404
    assert "We cannot confirm this message" in forged.content.decode()

    # Once is enough: a second forwarding to the same controller is refused.
    post_confirmed(
        client,
        reverse("staff:case_action", args=[item.reference, "forward"]),
        {"party": facebook.pk},
    )
    assert Forwarding.objects.filter(request=item).count() == 1


def test_an_organisation_administered_account_forwards_only_its_systems_and_we_answer_the_rest(
    two_systems, outbox, client, settings
):
    settings.DSR_FOUR_EYES = []
    officer, secret = make_officer()
    logistik = OtherController.objects.get(name="Beispiel Logistik AG")
    logistik.systems = ["console"]
    logistik.save()
    item = submit(email="max@beispiel-logistik.example", language="nl")
    login_with_totp(client, officer.email, PASSWORD, secret)
    # Not before the identity is verified: the organisation would get the person's details.
    with pytest.raises(Exception, match="Verify the requester's identity first"):
        forwarding.forward(item, party=logistik, officer=officer)
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    page = one_line(client.get(reverse("staff:case", args=[item.reference])).content.decode())
    assert "belongs to Beispiel Logistik AG" in page  # the domain suggests it

    first = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    forwarding.forward(item, party=logistik, officer=officer)
    done = Forwarding.objects.get(request=item)
    assert done.systems == ["console"]
    assert not done.whole
    console = list(item.jobs.filter(system="console"))
    assert console
    assert all(job.status == JobStatus.SKIPPED for job in console)
    assert all("Beispiel Logistik AG" in job.skipped_reason for job in console)
    shop = list(item.jobs.filter(system="shop"))
    assert shop
    assert all(job.status == JobStatus.SUCCEEDED for job in shop)

    # The organisation reads it in German (its language in the register).
    body = one_line(outbox.last_to(LOGISTIK).body)
    assert "Datentreuhänder" in body
    assert "Cloud console" in body
    # The person reads Dutch: which part went where, and that the organisation decides.
    letter = one_line(outbox.last_to(item.email).body)
    assert "doorgestuurd" in letter
    assert "Cloud console" in letter
    assert "gegevensbeheerder" in letter

    # The console's data leaves the answer (rebuilt: it is the organisation's to answer).
    package = AnswerPackage.objects.get(request=item, deleted_at__isnull=True)
    console_entry = package.manifest["systems"]["console"]
    assert console_entry["records"] == 0
    assert "Beispiel Logistik AG" in console_entry["skipped"]
    assert "data/console/" in json.dumps(first.manifest)
    assert "data/console/" not in json.dumps(package.manifest)
    assert package.manifest["systems"]["shop"]["records"]
    answers.release(package, officer=officer)
    item.refresh_from_db()
    assert item.status == Status.COMPLETED
    final = one_line(outbox.last_to(item.email).body)
    assert "Beispiel Logistik AG" in final  # the answer says what went elsewhere
    outcome = RequestOutcome.objects.get(request_id=item.pk)
    assert outcome.forwarded == [{"kind": "customer_organisation", "whole": False}]


def test_a_controller_that_speaks_opendsr_gets_the_forwarded_request_by_it(
    two_systems, outbox, settings
):
    """Its endpoint is a webhook system (url, secret, version) that the register names: the
    request goes there signed, with the identity we verified and no callback, and that system
    is never asked for our own data."""
    from tests.fakes.inhouse import InHouseService

    settings.DSR_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with InHouseService("whsec-facebook") as endpoint:
        settings.DSR_CONNECTORS = {
            **settings.DSR_CONNECTORS,
            "facebook_opendsr": {
                "BACKEND": "connectors.backends.webhook.WebhookConnector",
                "NAME": "Facebook (OpenDSR)",
                "OPTIONS": {"url": endpoint.url, "secret": "whsec-facebook"},
            },
        }
        registry.reset()
        facebook = OtherController.objects.get(name="Facebook Ireland Ltd")
        facebook.opendsr_system = "facebook_opendsr"
        facebook.save()
        item = verified(outbox, email="erika@example.org")
        assert not item.jobs.filter(system="facebook_opendsr").exists()
        officer, _ = make_officer()
        forwarding.forward(item, party=facebook, officer=officer)

        (entry,) = endpoint.requests.values()
        body = entry["body"]
        assert body["subject_request_type"] == "access"
        assert body["regulation"] == "gdpr"
        assert body["subject_identities"] == [
            {
                "identity_type": "email",
                "identity_value": "erika@example.org",
                "identity_format": "raw",
            }
        ]
        assert "status_callback_urls" not in body
        done = Forwarding.objects.get(request=item)
        assert done.opendsr_request_id == body["subject_request_id"]
        assert not SentLetter.objects.filter(template="forwarded_request").exists()
        assert outbox.to(facebook.request_email) == []
        # The person is still told, in their letter, who handles it.
        assert outbox.last_to("erika@example.org")
