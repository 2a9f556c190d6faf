"""Every letter a requester receives is wholly in the request's language and names exactly one
competent supervisory authority (issue 13, item 7; LEGAL.md §2 and §6)."""

import functools
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.forms.models import inlineformset_factory
from django.urls import reverse
from django.utils import timezone, translation

from dsr.admin import AuthorityFormSet
from dsr.core.controller import competent_authority, get_controller
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.legal_texts import kind, legal_basis
from dsr.core.mail import letter_pdf, render_email
from dsr.core.messages import LETTERS, letter_context_for
from dsr.demo import load_demo
from dsr.forms import RequesterForm
from dsr.models import (
    AnswerPackage,
    CaseMessage,
    ConnectorJob,
    Controller,
    EventKind,
    Matter,
    MessageDirection,
    ProcessingActivity,
    RecipientNotice,
    Redaction,
    SupervisoryAuthority,
)
from dsr.services import transmission, verification
from dsr.services.intake import AgentDetails, Intake, SubjectDetails, submit_request
from dsr.services.refusals import Refusal, validate
from tests.factories import PASSWORD, make_officer
from tests.helpers import login_with_totp

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EMAILS = ROOT / "templates" / "emails"
# Letters that go to staff or to a system's owner, not to the requester.
NOT_TO_REQUESTERS = {
    "digest",
    "manual_task",
    "manual_task_reminder",
    "manual_escalation",
    "transmission",  # to the other controller (Art. 20(2)): tests/dsr/test_transmission.py
    "staff_invitation",  # to a new officer: tests/accounts/test_staff_invitations.py
}
TO_REQUESTERS = sorted(
    path.name.removesuffix("_message.txt")
    for path in EMAILS.glob("*_message.txt")
    if path.name.removesuffix("_message.txt") not in NOT_TO_REQUESTERS
)
INCLUDE = re.compile(r'{% include "emails/(\w+\.txt)"')


def _source(name: str) -> str:
    """A template with the partials it includes."""
    text = (EMAILS / name).read_text()
    return text + "".join(_source(part) for part in INCLUDE.findall(text))


# The letters that carry the right to complain (with the kept records of KEPT, the erasure
# letter is a partial refusal too: LEGAL.md §6).
WITH_REMEDIES = {n for n in TO_REQUESTERS if "_remedies.txt" in _source(f"{n}_message.txt")}

# What the people involved type, in the request's language: shown as given.
TYPED = {
    "de": {
        "name": "Erika Mustermann",
        "reasons": "Die Rechnungen der letzten acht Jahre müssen wir aufbewahren.",
        "question": "Welche Kundennummer steht auf Ihrem Vertrag?",
        "extension": "Ihre Anfrage betrifft zwölf Systeme und drei Konzerngesellschaften.",
        "decision": "Meine Bestellung vom 3. Mai wurde abgelehnt.",
        "role": "Leiterin Risikomanagement",
    },
    "nl": {
        "name": "Jan Jansen",
        "reasons": "De facturen van de afgelopen zeven jaar moeten wij bewaren.",
        "question": "Welk klantnummer staat op uw contract?",
        "extension": "Uw verzoek betreft twaalf systemen en drie groepsmaatschappijen.",
        "decision": "Mijn bestelling van 3 mei is geweigerd.",
        "role": "Hoofd risicobeheer",
    },
}
# Kept records as the connectors report them: in English, from their configuration.
KEPT = [
    {
        "what": "invoices",
        "legal_basis": "Art. 17(3)(b) GDPR: legal obligation to keep accounting records",
        "statute": "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG",
        "erase_after": "2034-12-31",
        "records": 3,
    },
    {
        "what": "Stripe charges",
        "legal_basis": "legal_claims",
        "statute": "",
        "erase_after": None,
        "records": 1,
    },
]


# --- the check ---------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


@functools.cache
def english_fragments(language: str) -> frozenset[str]:
    """The catalogue's English source texts (split at their placeholders) whose translation
    differs: any of them verbatim in a letter means a source was not translated."""
    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    fragments = set()
    for entry in catalogue:
        if entry.obsolete:
            continue
        translated = entry.msgstr or " ".join(entry.msgstr_plural.values())
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in PLACEHOLDER.split(source):
                fragment = part.strip(" .,:;()\n")
                # Citations ("Art. 78") are the same in every language, and a single lower-case
                # word may be a word of the language too ("met name"); labels ("Erasure") count.
                if " " not in fragment:
                    wanted = len(fragment) >= 5 and fragment[0].isupper()
                else:
                    wanted = len(fragment) >= 8
                if not wanted:
                    continue
                if fragment not in translated:
                    fragments.add(fragment)
    return frozenset(fragments)


def english_in(text: str, language: str) -> list[str]:
    """The catalogue's English sources in ``text``: whole words, so that a label ("Erasure")
    counts but a word inside another ("Systems" in "T-Systems") does not."""
    return sorted(
        fragment
        for fragment in english_fragments(language)
        if re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", text)
    )


def sentences(text: str) -> set[str]:
    """Sentences of four words or more (data taken out does not count as words)."""
    parts = re.split(r"(?<=[.:;!?])\s+|\n+", text)
    return {
        part.strip()
        for part in parts
        if len([word for word in part.split() if re.search(r"[^\W\d_]", word)]) >= 4
    }


def untranslated(text: str, english: str, language: str, *, data: list[str]) -> list[str]:
    """What of ``text`` (rendered in ``language``) is English: catalogue sources verbatim, and
    sentences identical to the English rendering of the same letter once the data (names,
    addresses, links, the officer's words) is taken out."""
    for value in sorted(filter(None, data), key=len, reverse=True):
        text, english = text.replace(value, "«»"), english.replace(value, "«»")
    text, english = (re.sub(r"https?://\S+", "«»", value) for value in (text, english))
    found = english_in(text, language)
    found += sorted(sentences(english) & sentences(text))
    return found


def test_the_check_finds_english_in_a_german_letter():
    kept = "What we keep, because the law requires it:"
    text = f"Guten Tag,\nwir haben Ihre Anfrage erledigt.\n{kept}\n- Billing: 3 invoices."
    english = f"Hello,\nwe have completed your request.\n{kept}\n- Billing: 3 invoices."
    assert untranslated(text, english, "de", data=[]) == [
        "What we keep, because the law requires it",
        "What we keep, because the law requires it:",
    ]
    # Not in the catalogue, but the same as in the English letter: found too.
    assert untranslated(
        "Guten Tag.\nOur backups are kept for a while.",
        "Hello.\nOur backups are kept for a while.",
        "de",
        data=[],
    ) == ["Our backups are kept for a while."]
    assert untranslated("Guten Tag, Erika.", "Hello, Erika.", "de", data=["Erika"]) == []


# --- the letters ---------------------------------------------------------------------------------


def competent(request) -> str:
    authority = competent_authority(request)
    assert authority is not None
    return authority.name


AGENT = AgentDetails("Anwaltskanzlei Beispiel", "kanzlei@example.org", "power_of_attorney")


def _request(language, matter, *, right="erasure", details=None, agent=False):
    typed = TYPED[language]
    return submit_request(
        intake=Intake(
            rights={right: details or {}},
            subject=SubjectDetails(email="person@example.org", name=typed["name"]),
            language=language,
            agent=AGENT if agent else None,
            matter=matter,
        )
    )


def _with_state(template, request, language, officer):
    """The recorded state each letter is built from, as the use cases leave it."""
    typed = TYPED[language]
    if template in ("info_requested", "evidence_rejected"):
        CaseMessage.objects.create(
            request=request,
            direction=MessageDirection.TO_REQUESTER,
            body=typed["question"],
            author=officer,
            awaits_answer=True,
        )
    if template == "extended":
        record(request, EventKind.EXTENDED, actor=officer, reason=typed["extension"])
    if template == "fee_requested":
        record(
            request,
            EventKind.FEE_REQUESTED,
            actor=officer,
            reason=typed["reasons"],
            data={
                "basis": "excessive",
                "sub_ground": "repetitive",
                "amount": "25.00",
                "currency": "EUR",
                "earlier": [{"reference": "DSR-2026-00001", "received_on": "2026-01-05"}],
            },
        )
    if template == "refused":
        record(
            request,
            EventKind.PARTLY_REFUSED,
            actor=officer,
            reason=typed["reasons"],
            data={"ground": "exception", "statute": "§ 147 AO"},
        )
    if template == "refused_objection":
        ConnectorJob.objects.create(
            request=request, system="crm", action="lift_restriction", status="pending"
        )
        record(
            request,
            EventKind.REFUSED,
            actor=officer,
            reason=typed["reasons"],
            data={"ground": "compelling_grounds", "statute": ""},
        )
    if template == "answer_ready":  # with items withheld: a partial refusal (Art. 15(4))
        for category in ("third_party", "trade_secret", "confidential"):
            Redaction.objects.create(
                request=request, text="x", reason="-", category=category, officer=officer
            )
    if template == "answer_ready_portability":  # left out (Art. 20), not feasible (20(2))
        AnswerPackage.objects.create(
            request=request,
            manifest={
                "portability": True,
                "excluded": [
                    {"system": "crm", "category": "notes", "reason": "inferred", "fields": ["a"]},
                    {
                        "system": "crm",
                        "category": "logs",
                        "reason": "legal_basis",
                        "legal_basis": "legitimate_interests",
                    },
                    {"system": "crm", "reason": "rights_of_others", "items": 2},
                ],
            },
        )
        transmission.record_not_feasible(request, officer=officer, reason=typed["reasons"])
    if template == "completed":
        ConnectorJob.objects.create(
            request=request,
            system="billing",
            action="erase",
            status="succeeded",
            result={"erased": 4, "anonymised": 1, "retained": KEPT},
        )
        # What each system did, and what some could not do (with the officer's decision).
        for system, action, status, result in (
            ("crm", "restrict", "succeeded", {"changed": 2}),
            ("crm", "object", "succeeded", {"changed": 1}),
            ("crm", "rectify", "succeeded", {"changed": 1, "statement_kept": True}),
            ("billing", "restrict", "succeeded", {"already": 1, "by_hand": "uncovered"}),
            ("billing", "rectify", "succeeded", {"statement_kept": True}),
            ("billing", "object", "succeeded", {}),
            ("chat", "object", "succeeded", {"not_marketing": True}),
            ("chat", "restrict", "skipped", {"could_not": "uncovered", "uncovered": 3}),
            ("chat", "rectify", "skipped", {"could_not": "statement_not_kept", "changed": 1}),
            ("shop", "restrict", "succeeded", {}),
            ("shop", "object", "skipped", {"could_not": "unsupported"}),
            ("shop", "rectify", "skipped", {"could_not": "nothing_changed"}),
        ):
            ConnectorJob.objects.create(
                request=request,
                system=system,
                action=action,
                status=status,
                result=result,
                skipped_reason=typed["reasons"] if status == "skipped" else "",
            )
        RecipientNotice.objects.create(
            request=request, system="billing", recipient="DATEV eG", status="notified"
        )
        record(request, EventKind.OBJECTION_UPHELD, actor=officer, reason=typed["reasons"])
        # Art. 22: a person reviewed the automated decision; the letter carries its logic.
        record(
            request,
            EventKind.DECISION_REVIEWED,
            actor=officer,
            reason=typed["reasons"],
            data={
                "outcome": "changed",
                "activity": "webshop-fraud-prevention",
                "reviewer_role": typed["role"],
                "view_considered": True,
            },
        )


CODES = {
    "code": "482913",
    "expires_at": timezone.now() + timedelta(hours=24),
    "verify_url": "https://dsr.example/verify/abc",
    "confirm_url": "https://dsr.example/confirm/abc",
}
VARIANTS = [*TO_REQUESTERS, "refused_objection", "answer_ready_portability"]
RECIPIENT = "Neue Cloud GmbH"


def _letter(variant, language, matter):
    load_demo()
    officer, _ = make_officer()
    template = variant.removesuffix("_objection").removesuffix("_portability")
    right: str = "erasure"
    details: dict[str, object] | None = None
    if variant == "refused_objection":
        right, details = "objection", {"kind": "particular_situation"}
    if variant == "answer_ready_portability":
        right = "portability"
        details = {"transmit": True, "recipient_name": RECIPIENT, "recipient_contact": "x"}
    request = _request(
        language,
        matter,
        right=right,
        details=details,
        agent=template in ("confirm_agent", "agent_rejected", "evidence_rejected"),
    )
    if template == "completed":
        request.requested_rights.create(right="objection", details={"kind": "particular_situation"})
        request.requested_rights.create(
            right="automated_decision",
            details={
                "decision": TYPED[language]["decision"],
                "decision_date": "2026-05-03",
                "wants": ["contest", "express_view", "human_review"],
                "view": TYPED[language]["reasons"],
            },
        )
    _with_state(variant, request, language, officer)
    request.refresh_from_db()
    context = letter_context_for(request, template, CODES)
    return request, template, context


@pytest.mark.parametrize("matter", ["", Matter.TELECOMMUNICATIONS])
@pytest.mark.parametrize("language", ["de", "nl"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_letter_is_wholly_in_the_request_language_and_names_one_authority(
    variant, language, matter
):
    request, template, context = _letter(variant, language, matter)
    subject, text, _html = render_email(template, context, language)
    en_subject, english, _ = render_email(template, context, "en")
    controller = get_controller()
    typed = TYPED[language]
    data = [
        *typed.values(),
        request.reference,
        controller.name,
        controller.address,
        controller.dpo_name,
        *controller.dpo_contact.splitlines(),
        *(a.name for a in controller.authorities.all()),
        *(part for a in controller.authorities.all() for part in a.address.splitlines()),
        *(a.website for a in controller.authorities.all()),
        "Anwaltskanzlei Beispiel",
        "§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG",
        RECIPIENT,
        # The register's texts, as the controller wrote them in the request's language.
        *(
            activity.text(field, language)
            for activity in ProcessingActivity.objects.filter(automated_decision=True)
            for field in ("name", "automated_logic", "automated_consequences")
        ),
    ]
    assert untranslated(f"{subject}\n{text}", f"{en_subject}\n{english}", language, data=data) == []

    named = [a for a in controller.authorities.all() if a.name in text]
    if template in WITH_REMEDIES:
        expected = "BfDI" if matter == Matter.TELECOMMUNICATIONS else "LDI NRW"
        assert [a.name for a in named] == [competent(request)]
        assert expected in named[0].name
        assert text.count(named[0].name) == 1
    else:
        assert named == []


@pytest.mark.parametrize("language", ["de", "nl"])
@pytest.mark.parametrize("template", sorted(LETTERS & {"refused", "completed", "extended"}))
def test_the_pdf_copy_is_in_the_request_language_too(template, language):
    _request, template, context = _letter(template, language, Matter.TELECOMMUNICATIONS)
    subject, text, _ = render_email(template, context, language)
    pdf = letter_pdf(subject, text, language)
    letter = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    letter = " ".join(letter.split())  # the PDF's own line breaks
    assert english_in(letter, language) == []
    assert "BfDI" in letter
    assert "LDI NRW" not in letter
    # The letterhead's and the DPO's country lines as written for the language.
    assert {"de": "Frankfurt am Main Deutschland", "nl": "Frankfurt am Main Duitsland"}[
        language
    ] in letter
    assert "Germany" not in letter


def test_the_erasure_letter_shows_kept_records_from_translated_sources(settings):
    settings.DSR_BACKUP_DAYS = 14
    _request, template, context = _letter("completed", "de", "")
    _subject, text, _ = render_email(template, context, "de")
    assert "- billing: 3 Rechnungen. Art. 17 Abs. 3 lit. b DSGVO" in text
    assert "(§ 147 Abs. 1 Nr. 4, Abs. 3 AO; § 14b UStG)" in text
    assert "- billing: 1 Stripe Zahlungsvorgänge. Art. 17 Abs. 3 lit. e DSGVO" in text
    assert "innerhalb von 14 Tagen überschrieben" in text
    assert "DATEV eG" in text


def test_text_the_portal_does_not_know_is_shown_as_given():
    assert legal_basis("§ 257 HGB: Aufbewahrungspflicht") == "§ 257 HGB: Aufbewahrungspflicht"
    assert kind("Mahnungen") == "Mahnungen"
    with translation.override("nl"):
        assert str(legal_basis("Art. 17(3)(b) GDPR")).startswith("Art. 17, lid 3, onder b, AVG")
        assert str(kind("Stripe invoices")) == "Stripe facturen"


def test_one_authority_is_competent_per_request_by_its_matter():
    load_demo()
    default = _request("de", "")
    telecom = _request("de", Matter.TELECOMMUNICATIONS)
    postal = _request("de", Matter.POSTAL)  # no authority for it: the default one
    assert "LDI NRW" in competent(default)
    assert "BfDI" in competent(telecom)
    assert "LDI NRW" in competent(postal)
    SupervisoryAuthority.objects.filter(matter="").delete()
    # Only the telecommunications authority is left: it is not competent for anything else,
    # so no letter may name it as competent for this request, and no refusal may be sent.
    assert competent_authority(default) is None
    assert "BfDI" in competent(telecom)
    with pytest.raises(RequestError, match="supervisory authority"):
        validate(
            default,
            Refusal("manifestly_unfounded", reasons="Zur Störung.", sub_ground="malicious"),
        )


def test_the_requester_says_what_the_request_is_about_where_it_matters():
    load_demo()
    form = RequesterForm(data={"requester": "myself", "email": "a@example.org", "matter": "x"})
    assert not form.is_valid()
    assert "matter" in form.errors
    form = RequesterForm(
        data={"requester": "myself", "email": "a@example.org", "matter": "telecommunications"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["matter"] == Matter.TELECOMMUNICATIONS
    SupervisoryAuthority.objects.exclude(matter="").delete()
    assert "matter" not in RequesterForm().fields  # one authority for all: nothing to choose


def test_the_officer_corrects_what_a_request_is_about_and_its_letters_follow(client, outbox):
    load_demo()
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    request = _request("de", "")
    case_url = reverse("staff:case", args=[request.reference])
    page = client.get(case_url).content.decode()
    assert "its letters name Landesbeauftragte" in page
    url = reverse("staff:case_action", args=[request.reference, "matter"])
    assert f'action="{url}"' in page

    refused = client.post(url, {"matter": "telecommunications", "reason": ""}, follow=True)
    assert "Reason for the correction" in refused.content.decode()
    request.refresh_from_db()
    assert request.matter == ""

    reason = "Der Antrag betrifft den Mobilfunkvertrag."
    done = client.post(url, {"matter": "telecommunications", "reason": reason}, follow=True)
    assert "name the authority competent for this" in done.content.decode()
    request.refresh_from_db()
    assert request.matter == Matter.TELECOMMUNICATIONS
    event = request.events.get(kind=EventKind.MATTER_CHANGED)
    assert event.reason == reason
    assert event.actor == officer
    assert event.data["from"] == ""
    assert "BfDI" in event.data["authority_to"] or "Bundesbeauftragte" in event.data["authority_to"]
    _subject, text, _html = render_email(
        "refused", letter_context_for(request, "refused", CODES), "de"
    )
    assert competent(request) in text
    assert "Landesbeauftragte" not in text

    again = client.post(url, {"matter": "telecommunications", "reason": "x"}, follow=True)
    assert "already recorded as being about this" in again.content.decode()
    request.status = "completed"
    request.save(update_fields=["status"])
    closed = client.post(url, {"matter": "", "reason": "x"}, follow=True)
    assert "already closed" in closed.content.decode()
    request.refresh_from_db()
    assert request.matter == Matter.TELECOMMUNICATIONS


def test_the_register_suggests_the_matter_from_where_the_persons_data_was_found(client):
    from dsr.models import ProcessingActivity
    from dsr.selectors.case import matter_suggestion

    load_demo()
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    ProcessingActivity.objects.create(
        key="mobile-contracts",
        name="Mobile contracts",
        purpose="Providing the mobile service",
        legal_basis="contract",
        data_categories="Contract data",
        retention="Contract term",
        systems=["mobile"],
        matter=Matter.TELECOMMUNICATIONS,
        translations={"de": {"name": "Mobilfunkverträge"}},
    )
    request = _request("de", "")
    ConnectorJob.objects.create(
        request=request, system="crm", action="locate", status="succeeded", result={"found": 1}
    )
    assert matter_suggestion(request, "en") is None  # the CRM serves no such activity
    job = ConnectorJob.objects.create(
        request=request, system="mobile", action="locate", status="succeeded", result={}
    )
    assert matter_suggestion(request, "en") is None  # nothing of hers there
    job.result = {"found": True, "records": 2}
    job.save()
    suggestion = matter_suggestion(request, "de")
    assert suggestion is not None
    assert suggestion.matter == Matter.TELECOMMUNICATIONS
    assert suggestion.activities == ["Mobilfunkverträge"]

    page = client.get(reverse("staff:case", args=[request.reference])).content.decode()
    assert "processed for Mobile contracts, which is about telecommunications services" in page
    chosen = page[page.index('id="id_matter_matter"') :].split("</select>")[0]
    assert 'value="telecommunications" selected' in chosen
    url = reverse("staff:case_action", args=[request.reference, "matter"])
    client.post(url, {"matter": "telecommunications", "reason": "Mobilfunkvertrag."})
    request.refresh_from_db()
    assert "BfDI" in competent(request)
    assert matter_suggestion(request, "en") is None  # recorded: nothing left to suggest


@pytest.mark.parametrize(("language", "name"), [("de", "German"), ("nl", "Dutch")])
def test_the_officer_sees_the_letter_language_in_every_form_that_writes_to_the_requester(
    client, settings, language, name
):
    load_demo()
    settings.DSR_FOUR_EYES = []
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    request = _request(language, "", right="objection", details={"kind": "particular_situation"})
    verification.verify_manually(request, officer=officer, reason="Brief mit Unterschrift.")
    page = client.get(reverse("staff:case", args=[request.reference])).content.decode()
    forms: dict[str, str | None] = {}
    for action in ("ask", "extend", "refusal", "objection"):
        url = reverse("staff:case_action", args=[request.reference, action])
        start = page.find(f'action="{url}"')
        forms[action] = page[start : page.find("</form>", start)] if start >= 0 else None
    assert all(forms.values()), [action for action, form in forms.items() if not form]
    for action, form in forms.items():
        assert f"This letter goes out in {name}." in (form or ""), action
        assert "It names Landesbeauftragte" in (form or ""), action


def test_the_admin_cannot_name_two_authorities_for_the_same_matter():
    controller = get_controller()
    formset = inlineformset_factory(
        Controller, SupervisoryAuthority, formset=AuthorityFormSet, fields=["name", "matter"]
    )

    def data(*matters):
        rows = {
            "authorities-TOTAL_FORMS": str(len(matters)),
            "authorities-INITIAL_FORMS": "0",
        }
        for index, matter in enumerate(matters):
            rows |= {
                f"authorities-{index}-name": f"DPA {index}",
                f"authorities-{index}-matter": matter,
            }
        return rows

    assert formset(data("", "telecommunications"), instance=controller).is_valid()
    twice = formset(data("", "telecommunications", ""), instance=controller)
    assert not twice.is_valid()
    assert "one authority per matter" in str(twice.non_form_errors())


@pytest.mark.django_db(transaction=True)
def test_the_demo_letters_in_german_and_dutch_are_wholly_in_their_language(settings, tmp_path):
    from connectors import registry

    # Imported here: the full demo (its source systems) is needed by this test only.
    from dsr.demo import load_full_demo
    from dsr.demo_requests import UNCONFIRMED
    from dsr.models import SentLetter, SubjectRequest

    settings.VAR_DIR = tmp_path
    settings.DSR_CONNECTORS_FILE = str(tmp_path / "demo" / "connectors.yaml")
    registry.reset()
    try:
        load_full_demo()
    finally:
        registry.reset()
    letters = SentLetter.objects.filter(request__language__in=["de", "nl"]).select_related(
        "request"
    )
    assert {letter.request.language for letter in letters} == {"de", "nl"}
    for letter in letters:
        language = letter.request.language
        english = english_in(f"{letter.subject}\n{letter.body}", language)
        assert english == [], (letter.template, language)
        assert "Germany" not in letter.body  # the DPO's address, as written for the language
        # The systems by their names in the language (the demo gives them).
        assert "Billing:" not in letter.body
        assert "Support chat:" not in letter.body
    assert SubjectRequest.objects.get(email=UNCONFIRMED).matter == Matter.TELECOMMUNICATIONS


@pytest.mark.parametrize(("language", "billing"), [("de", "Abrechnung"), ("nl", "Facturatie")])
def test_systems_are_named_in_the_request_language_where_the_configuration_gives_it(
    settings, language, billing
):
    from connectors import registry
    from dsr.services.completion import outcome

    settings.DSR_CONNECTORS = {
        "billing": {
            "BACKEND": "connectors.backends.fake.FakeConnector",
            "NAME": {"en": "Billing", "de": "Abrechnung", "nl": "Facturatie"},
        },
        "crm": {"BACKEND": "connectors.backends.fake.FakeConnector", "NAME": "CRM"},
    }
    registry.reset()
    try:
        assert registry.systems()["billing"].name == "Billing"  # staff pages: the English
        request, template, context = _letter("completed", language, "")
        names = {item["system"] for item in outcome(request)["done"]}
        assert names == {billing, "CRM", "chat", "shop"}  # unconfigured: by their alias
        _subject, text, _html = render_email(template, context, language)
        assert f"- {billing}: " in text
    finally:
        registry.reset()
