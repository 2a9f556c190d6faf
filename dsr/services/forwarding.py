"""Forwarding a request to the controller it (partly) belongs to (LEGAL.md §7).

A joint controller (Art. 26(3) GDPR) gets the whole request: the person may exercise their
rights against each of us, and the arrangement says who handles what; we still answer for
what we hold. A customer organisation that administers an account (we are its data trustee)
is the controller of the data in the systems it administers: it gets the part of the request
about those systems, and we do not act on that data ourselves; the rest we answer.

The other controller is e-mailed a signed message (a link on our portal confirms that it came
from us, and when); the person gets a letter in their language saying who handles what and
how to reach them. Both are owed in the forwarding's transaction.
"""

import base64
import binascii
import contextlib
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from connectors import registry
from connectors.backends.webhook import WebhookConnector
from connectors.base import Capability, ConnectorError, ConnectorUnavailable
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.mail import send_email
from dsr.core.messages import request_context, send_to_requester
from dsr.core.taskqueue import owe
from dsr.models import (
    ConnectorJob,
    EventKind,
    Forwarding,
    JobStatus,
    OtherController,
    PartyKind,
    SentLetter,
    Status,
    SubjectRequest,
)
from dsr.processing.dispatch import advance
from dsr.processing.identity import identity_for
from dsr.rights import RIGHTS, Right
from dsr.services import answers

FORWARDED_TEMPLATE = "forwarded"  # the person's letter
FORWARDED_REQUEST_TEMPLATE = "forwarded_request"  # the message to the other controller
SIGNATURE_SALT = "dsr.forwarding"
# Not yet verified: the other controller would receive the details of someone who may not
# be who they say.
UNVERIFIED = (Status.RECEIVED, Status.AWAITING_VERIFICATION)
# What a forwarded request may be by OpenDSR (the specification's three types).
OPENDSR_TYPES = {Right.ACCESS: "access", Right.PORTABILITY: "portability", Right.ERASURE: "erasure"}


def suggestions(request: SubjectRequest) -> list[OtherController]:
    """Customer organisations whose domains the requester's address belongs to."""
    address = (request.email or "").lower()
    domain = address.rpartition("@")[2]
    if not domain:
        return []
    parties = OtherController.objects.filter(
        active=True, kind=PartyKind.CUSTOMER_ORGANISATION
    ).exclude(domains="")
    return [p for p in parties if domain in p.domain_list()]


@transaction.atomic
def forward(
    request: SubjectRequest,
    *,
    party: OtherController,
    officer: User,
    systems: list[str] | None = None,
    note: str = "",
) -> Forwarding:
    """Forward the request (``systems`` empty: all of it) and tell both sides."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise RequestError(_("Only an open request can be forwarded."))
    if request.status in UNVERIFIED:
        raise RequestError(
            _("Verify the requester's identity first: the other controller receives their details.")
        )
    if not party.active:
        raise RequestError(_("This controller is no longer active in the register."))
    configured = registry.systems()
    chosen = sorted(set(systems or []))
    unknown = [alias for alias in chosen if alias not in configured]
    if unknown:
        raise RequestError(_("Unknown systems: %(systems)s.") % {"systems": ", ".join(unknown)})
    if party.kind == PartyKind.CUSTOMER_ORGANISATION and not chosen:
        chosen = sorted(alias for alias in party.systems if alias in configured)
        if not chosen:
            raise RequestError(
                _(
                    "Name the systems that hold the data this organisation administers (in "
                    "the register or here): only that part of the request is its to decide."
                )
            )
    try:
        with transaction.atomic():
            forwarding = Forwarding.objects.create(
                request=request,
                party=party,
                systems=chosen,
                note=note.strip(),
                forwarded_by=officer,
                forwarded_at=timezone.now(),
                nonce=secrets.token_hex(16),
            )
    except IntegrityError:
        raise RequestError(
            _("This request was already forwarded to %(party)s.") % {"party": party.name}
        ) from None
    skipped = _leave_forwarded_systems(request, forwarding)
    record(
        request,
        EventKind.FORWARDED,
        actor=officer,
        data={
            "forwarding": forwarding.pk,
            "party": party.name,
            "kind": party.kind,
            "systems": chosen,
            "jobs_skipped": skipped,
        },
    )
    owe(
        "dsr.tasks.send_forwarded_request",
        request.pk,
        forwarding.pk,
        label=FORWARDED_REQUEST_TEMPLATE,
        request_id=request.pk,
    )
    send_to_requester(request, FORWARDED_TEMPLATE, forwarding=forwarding.pk)
    if skipped:
        transaction.on_commit(lambda: advance(request.pk))
    return forwarding


def _leave_forwarded_systems(request: SubjectRequest, forwarding: Forwarding) -> int:
    """We act on the forwarded systems' data no more: their jobs not yet done are skipped, and
    what they found and exported leaves an answer not yet sent (it is built again without
    it). A change already made (an erasure, a correction) stays what it was: it happened."""
    if forwarding.whole:
        return 0
    jobs = ConnectorJob.objects.filter(request=request, system__in=forwarding.systems)
    leave = {
        "status": JobStatus.SKIPPED,
        "skipped_reason": forwarding.skip_reason,
        "finished_at": timezone.now(),
    }
    skipped = jobs.filter(status__in=(JobStatus.QUEUED, JobStatus.HELD, JobStatus.WAITING)).update(
        **leave
    )
    if not request.packages.filter(released_at__isnull=False).exists():
        found = jobs.filter(
            status=JobStatus.SUCCEEDED, action__in=(Capability.LOCATE, Capability.EXPORT)
        ).update(**leave)
        if found:
            answers.rebuild_unsent(request)
        skipped += found
    return skipped


def signature(forwarding: Forwarding) -> str:
    """The token of the link that proves the message came from us (and names no person)."""
    return signing.dumps({"f": forwarding.pk, "n": forwarding.nonce}, salt=SIGNATURE_SALT)


def from_signature(token: str) -> Forwarding | None:
    try:
        values = signing.loads(token, salt=SIGNATURE_SALT)
    except signing.BadSignature:
        return None
    found = Forwarding.objects.select_related("party", "request").filter(pk=values.get("f")).first()
    if found is None or not secrets.compare_digest(found.nonce, str(values.get("n", ""))):
        return None
    return found


def sent(forwarding: Forwarding, text: str) -> None:
    """The message went: keep its fingerprint (SHA-256 of its text) for the check page."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    Forwarding.objects.filter(pk=forwarding.pk).update(body_sha256=digest)


def names(forwarding: Forwarding, language: str) -> list[str]:
    configured = registry.systems()
    return [
        configured[alias].name_for(language) if alias in configured else alias
        for alias in forwarding.systems
    ]


@dataclass(frozen=True)
class Told:
    """A forwarding as a letter tells it, in the reader's language."""

    forwarding: Forwarding
    party: OtherController
    joint: bool
    whole: bool
    system_names: list[str]
    contact_point: str
    arrangement: str
    activity_names: list[str]


def told(forwarding: Forwarding, language: str) -> Told:
    party = forwarding.party
    return Told(
        forwarding=forwarding,
        party=party,
        joint=party.kind == PartyKind.JOINT_CONTROLLER,
        whole=forwarding.whole,
        system_names=names(forwarding, language),
        contact_point=party.text("contact_point", language),
        arrangement=party.text("arrangement", language),
        activity_names=[a.text("name", language) for a in party.activities.all()],
    )


def letter_context(request: SubjectRequest, extra: dict[str, Any] | None) -> dict[str, Any]:
    """For the person's letters: the forwarding the letter is about (``forwarded``), and every
    forwarding for the answer and completion letters."""
    everything = [
        told(forwarding, request.language)
        for forwarding in request.forwardings.select_related("party").prefetch_related(
            "party__activities"
        )
    ]
    wanted = int((extra or {}).get("forwarding") or 0)
    this = next((t for t in everything if t.forwarding.pk == wanted), None)
    return {"forwardings": everything, "forwarded": this}


def deliver(request_id: int, forwarding_id: int) -> bool:
    """Send the other controller the forwarded request, in its language, with the link that
    proves it came from us; False if there is nothing (more) to send."""
    forwarding = (
        Forwarding.objects.select_related("party", "request")
        .filter(pk=forwarding_id, request_id=request_id)
        .first()
    )
    if forwarding is None:
        return False
    request = forwarding.request
    party = forwarding.party
    if party.opendsr_system and request.rights and all(r in OPENDSR_TYPES for r in request.rights):
        return _deliver_by_opendsr(forwarding)
    context = request_context(request) | {
        "told": told(forwarding, party.language),
        # The rights only: the person's own words stay with us (our e-mails never carry text
        # we did not write to someone else); the other controller asks us if it needs more.
        "asked": [(RIGHTS[Right(r)].right.label, RIGHTS[Right(r)].article) for r in request.rights],
        "check_url": str(settings.DSR_BASE_URL)
        + reverse("dsr:forwarding_check", args=[signature(forwarding)]),
    }
    subject, text = send_email(
        template=FORWARDED_REQUEST_TEMPLATE,
        to=party.request_email,
        context=context,
        language=party.language,
    )
    SentLetter.objects.create(
        request=request,
        template=FORWARDED_REQUEST_TEMPLATE,
        to=party.request_email,
        subject=subject,
        body=text,
    )
    sent(forwarding, text)
    return True


class ForwardingUnavailable(ConnectionError):
    """The other controller's OpenDSR endpoint did not take it now: the outbox tries again
    (an OSError, which it counts as transient)."""


def _deliver_by_opendsr(forwarding: Forwarding) -> bool:
    """The request as one OpenDSR request per right to the other controller's endpoint (the
    webhook system the register names), with the identities our verification proved; its id
    is derived from the forwarding, so a retry is recognised. No callback: it is theirs now."""
    request, party = forwarding.request, forwarding.party
    try:
        backend = registry.connector(party.opendsr_system)
    except ConnectorError as exc:
        raise ValueError(f"{party.opendsr_system}: not a configured system") from exc
    if not isinstance(backend, WebhookConnector):
        raise ValueError(f"{party.opendsr_system}: not an OpenDSR (webhook) system")
    subject = identity_for(request)
    digest = hashlib.sha256()
    echoed = False
    first_id = ""
    for index, right in enumerate(sorted(request.rights)):
        seed = hashlib.sha256(f"{forwarding.nonce}:{index}".encode()).digest()[:16]
        request_id = str(uuid.UUID(bytes=seed, version=4))
        first_id = first_id or request_id
        try:
            created = backend.submit(subject, OPENDSR_TYPES[Right(right)], request_id=request_id)
        except ConnectorUnavailable as exc:
            raise ForwardingUnavailable(str(exc)) from exc
        except ConnectorError as exc:
            raise ValueError(str(exc)) from exc  # refused or unsupported: for a person to see
        # What the receiver says it got (it echoes our body): its fingerprint, as for a mail.
        with contextlib.suppress(KeyError, binascii.Error, ValueError):
            digest.update(base64.b64decode(str(created["encoded_request"]), validate=True))
            echoed = True
    Forwarding.objects.filter(pk=forwarding.pk).update(
        opendsr_request_id=first_id, body_sha256=digest.hexdigest() if echoed else ""
    )
    return True
