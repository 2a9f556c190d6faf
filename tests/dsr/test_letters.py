"""Letters the privacy admin rewrites: fixed variables only, the legal parts always in."""

import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from dsr.models import LetterKind, LetterTemplate
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db

REFUSAL_BODY = (
    "Guten Tag {{ requester_name }},\n\n{{ details }}\n\n{{ remedies }}\n\n{{ signature }}"
)


def template(kind: str = LetterKind.REFUSED, body: str = REFUSAL_BODY):
    return LetterTemplate(kind=kind, language="de", subject="Ihr Antrag {{ reference }}", body=body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ details }} {{ remedies }} {{ request.email }}", "Unknown variables"),
        ("{{ details }} {{ remedies }} {{ password }}", "Unknown variables: password"),
        ("{{ details }} {{ remedies }} {% include 'x.txt' %}", "no other template code"),
        ("{{ details }} {{ remedies }} {{ details|safe }}", "Unknown variables: details|safe"),
        ("{{ details }} {# hidden #}{{ remedies }}", "no other template code"),
        ("Wir lehnen ab. {{ signature }}", "must contain {{ details }}, {{ remedies }}"),
        ("{{ details }}", "must contain {{ remedies }}"),
    ],
)
def test_an_unsafe_or_incomplete_letter_cannot_be_saved(body, message):
    with pytest.raises(ValidationError) as error:
        template(body=body).full_clean()
    assert message in str(error.value)


def test_details_exist_only_for_letters_that_have_them():
    with pytest.raises(ValidationError, match="Unknown variables: details"):
        template(kind=LetterKind.VERIFIED, body="{{ details }}").full_clean()
    template(kind=LetterKind.VERIFIED, body="Bestätigt: {{ reference }}").full_clean()
    template().full_clean()


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.django_db(transaction=True)
def test_the_admin_wording_is_sent_with_the_legal_parts_and_nothing_runs(outbox, settings):
    from dsr.demo import load_demo
    from dsr.services.refusals import Refusal, refuse

    settings.DSR_FOUR_EYES = []  # one officer refuses: the wording is the subject here

    load_demo()  # the controller, its authority and DPO
    LetterTemplate.objects.create(
        kind=LetterKind.REFUSED,
        language="de",
        subject="Ihr Antrag {{ reference }}: unsere Entscheidung",
        body=REFUSAL_BODY,
    )
    officer, _ = make_officer()
    item = submit(language="de", name="{{ remedies }} {% debug %}")
    verification.verify_with_code(item, code_in(outbox.last_to(item.email)))
    refuse(
        item,
        officer=officer,
        refusal=Refusal(
            "manifestly_unfounded",
            reasons="Sie schreiben, Sie wollten uns damit nur beschäftigen.",
            sub_ground="malicious",
        ),
    )
    mail = outbox.last_to(item.email)
    assert mail.subject == f"Ihr Antrag {item.reference}: unsere Entscheidung"
    body = mail.body
    # The requester's name is put in as text: not expanded, not run.
    assert body.startswith("Guten Tag {{ remedies }} {% debug %},")
    assert "Sie schreiben, Sie wollten uns damit nur beschäftigen." in body  # {{ details }}
    assert "Aufsichtsbehörde" in body  # {{ remedies }}, in German
    assert "Datenschutzbeauftragte" in body  # {{ signature }}
    html = mail.alternatives[0][0]
    assert "{% debug %}" in html  # escaped text, not markup
    assert "&lt;" not in body
    ((_name, pdf, _type),) = [a for a in mail.attachments if a[0].endswith(".pdf")]
    assert "Sie schreiben, Sie wollten uns damit nur beschäftigen." in pdf_text(pdf)


def test_a_privacy_admin_edits_letters_in_the_admin_and_is_told_what_is_wrong(client):
    admin_user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin_user.email, PASSWORD, secret)
    url = reverse("admin:dsr_lettertemplate_add")
    response = client.get(url, {"kind": "refused", "language": "de"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "{{ remedies }}" in page  # the variables are listed for the admin
    data = {"kind": "refused", "language": "de", "subject": "Antrag {{ reference }}"}
    refused = client.post(url, data | {"body": "Abgelehnt.", "active": "on"})
    assert refused.status_code == 200
    assert "must contain" in refused.content.decode()
    assert not LetterTemplate.objects.exists()
    client.post(url, data | {"body": REFUSAL_BODY, "active": "on"})
    assert LetterTemplate.objects.get().body == REFUSAL_BODY


def test_a_text_saved_before_a_part_became_required_gives_way_to_the_portals_own():
    from dsr.core.mail import render_email
    from dsr.core.messages import letter_context_for
    from dsr.models import Redaction

    officer, _ = make_officer()
    item = submit(language="de")
    Redaction.objects.create(
        request=item, text="x", reason="-", category="trade_secret", officer=officer
    )
    # Saved without validation, as a text from before the answer letter needed {{ details }}.
    LetterTemplate.objects.create(
        kind=LetterKind.ANSWER_READY,
        language="de",
        subject="Ihre Antwort {{ reference }}",
        body="Ihre Antwort liegt bereit: {{ status_url }}",
    )
    _subject, text, _html = render_email(
        "answer_ready", letter_context_for(item, "answer_ready"), "de"
    )
    assert "Ihre Antwort liegt bereit" not in text
    assert "[entfernt: Geschäftsgeheimnis]: Art. 15 Abs. 4 und Erwägungsgrund 63 DSGVO" in text
    assert "Aufsichtsbehörde" in text

    LetterTemplate.objects.filter(kind=LetterKind.ANSWER_READY).update(
        body="Ihre Antwort liegt bereit: {{ status_url }}\n\n{{ details }}"
    )
    _subject, edited, _html = render_email(
        "answer_ready", letter_context_for(item, "answer_ready"), "de"
    )
    assert edited.startswith("Ihre Antwort liegt bereit")
    assert "[entfernt: Geschäftsgeheimnis]" in edited
    assert "Aufsichtsbehörde" in edited  # the remedies come with the details


def test_the_signature_sets_the_officers_name_apart_from_their_contact():
    from dsr.core.controller import get_controller
    from dsr.core.mail import render_email
    from dsr.core.messages import letter_context_for

    item = submit()
    controller = get_controller()
    controller.dpo_name, controller.dpo_contact = "Dr. Claus Ulmer", "Allee 140, 53113 Bonn"
    controller.save()
    _subject, text, _html = render_email("withdrawn", letter_context_for(item, "withdrawn"), "en")
    assert "Data protection officer: Dr. Claus Ulmer, Allee 140, 53113 Bonn" in text
    controller.dpo_name = ""
    controller.save()
    _subject, text, _html = render_email("withdrawn", letter_context_for(item, "withdrawn"), "en")
    assert "Data protection officer: Allee 140, 53113 Bonn" in text


def test_a_new_letter_starts_from_the_portals_text_in_its_language_and_is_previewed(client):
    admin_user, secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(client, admin_user.email, PASSWORD, secret)
    add = reverse("admin:dsr_lettertemplate_add")

    choose = client.get(add).content.decode()
    assert f'{add}?kind=refused&amp;language=nl"' in choose

    form = client.get(add, {"kind": "refused", "language": "de"}).context["adminform"].form
    assert form.initial["kind"] == "refused"
    assert form.initial["language"] == "de"
    assert form.initial["subject"].startswith("Anfrage {{ reference }}: ")
    body = form.initial["body"]
    assert body.startswith("Guten Tag,")
    assert "{{ details }}" in body
    assert "{{ remedies }}" in body
    LetterTemplate(kind="refused", language="de", subject="s", body=body).clean()  # no error

    preview = client.post(
        reverse("admin:dsr_lettertemplate_preview"),
        {"kind": "refused", "language": "de", "subject": form.initial["subject"], "body": body},
    )
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "DSR-0000-00042" in page  # the sample request
    assert "{{" not in page
    assert "Aufsichtsbehörde" in page  # the remedies, in German
    assert not LetterTemplate.objects.exists()  # a preview saves nothing

    wrong = client.post(
        reverse("admin:dsr_lettertemplate_preview"),
        {"kind": "refused", "language": "nl", "subject": "x", "body": "Nee. {{ password }}"},
    )
    assert "Unknown variables: password" in wrong.content.decode()


@pytest.mark.parametrize("kind", LetterKind.values)
@pytest.mark.parametrize("language", ["en", "de", "nl"])
def test_every_default_text_is_a_valid_letter(kind, language):
    from dsr.core.letters import default_text

    subject, body = default_text(kind, language)
    LetterTemplate(kind=kind, language=language, subject=subject, body=body).full_clean()
    if language != "en":
        assert default_text(kind, "en")[1] != body  # translated, not the English
