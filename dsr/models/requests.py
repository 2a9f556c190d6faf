"""A data-subject request, its append-only history, and what proves who asked."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from dsr.models.controller import Matter
from dsr.rights import Right


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    IN_PROGRESS = "in_progress", _("In progress")
    IN_REVIEW = "in_review", _("In review")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN})


class Channel(models.TextChoices):
    WEB = "web", _("Online form")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")
    # Sent by a controller whose processor we are (dsr.services.opendsr_inbound).
    OPENDSR = "opendsr", _("OpenDSR")


class RequesterType(models.TextChoices):
    SUBJECT = "subject", _("The data subject")
    AGENT = "agent", _("An authorised agent")


class AgentAuthority(models.TextChoices):
    POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney")
    PARENTAL_RESPONSIBILITY = "parental_responsibility", _("Parental responsibility")
    GUARDIANSHIP = "guardianship", _("Legal guardianship")
    OTHER = "other", _("Other authority")


class VerificationMethod(models.TextChoices):
    ACCOUNT = "account", _("Logged-in account with a verified e-mail address")
    EMAIL_LINK = "email_link", _("One-time link sent by e-mail")
    EMAIL_CODE = "email_code", _("One-time code sent by e-mail")
    OFFICER = "officer", _("Verified by a privacy officer")
    # The signed objection link in a marketing e-mail: only the address's holder has it.
    MARKETING_LINK = "marketing_link", _("Signed objection link sent to the address")
    # An agent's request: the agent confirmed their address, the person confirmed the agent.
    # An OpenDSR request: the controller that sent it verified the person.
    CONTROLLER = "controller", _("Verified by the controller that sent it (OpenDSR)")
    AGENT_CONFIRMED = (
        "agent_confirmed",
        _("Agent's address confirmed, and the agent confirmed by the data subject"),
    )


class SubjectRequest(models.Model):
    """One request. ``status`` and the due dates are derived from the events and cached here
    so the queue can filter and sort on them; ``dsr.core.events.refresh`` keeps them in step."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"))
    received_on = models.DateField(_("date of receipt"))
    due_on = models.DateField(_("due"), db_index=True)
    strict_due_on = models.DateField(_("due without pauses"))
    extended = models.BooleanField(_("extended"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    paused = models.BooleanField(_("clock paused"), default=False)
    # A privacy admin keeps a closed request past its retention period (litigation, a
    # supervisory authority's inquiry): the retention purge leaves it alone while this is set.
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.TextField(_("reason for the legal hold"), blank=True)

    # Who the request is about. Used only to find and answer the request (Art. 11, 12(6)).
    email = models.EmailField(_("e-mail address"), db_index=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    customer_number = models.CharField(_("customer number"), max_length=64, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)

    requester_type = models.CharField(
        _("requested by"), max_length=16, choices=RequesterType.choices
    )
    agent_name = models.CharField(_("agent's name"), max_length=200, blank=True)
    agent_email = models.EmailField(_("agent's e-mail address"), blank=True)
    agent_authority = models.CharField(
        _("agent's authority"), max_length=32, choices=AgentAuthority.choices, blank=True
    )
    subject_confirmed_at = models.DateTimeField(_("confirmed by the data subject"), null=True)
    # What the request is about, as the requester states it or the officer enters it: chooses
    # the competent supervisory authority its letters name (empty: the default one).
    matter = models.CharField(_("about"), max_length=32, choices=Matter.choices, blank=True)

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subject_requests",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("same as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verification_method = models.CharField(
        _("verified by"), max_length=16, choices=VerificationMethod.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ("due_on", "pk")
        indexes = [
            models.Index(fields=["status", "due_on"], name="request_status_due"),
            # The queue: open requests by due date, an officer's own, a search by address.
            models.Index(
                fields=["due_on", "id"],
                condition=~models.Q(status__in=["completed", "refused", "withdrawn"]),
                name="request_open_due",
            ),
            models.Index(fields=["assignee", "due_on"], name="request_assignee_due"),
            models.Index(Upper("email"), name="request_email_ci"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def answer_email(self) -> str:
        """Where the answer goes: only ever the authorised person (LEGAL.md §3)."""
        return self.agent_email if self.requester_type == RequesterType.AGENT else self.email

    @property
    def rights(self) -> list[str]:
        return [item.right for item in self.requested_rights.all()]


class RequestedRight(models.Model):
    """A right invoked by a request, with what that right's form asked for."""

    request = models.ForeignKey(
        SubjectRequest, on_delete=models.CASCADE, related_name="requested_rights"
    )
    right = models.CharField(_("right"), max_length=32, choices=Right.choices, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("requested right")
        verbose_name_plural = _("requested rights")
        constraints = [
            models.UniqueConstraint(fields=["request", "right"], name="one_right_once_per_request")
        ]

    def __str__(self) -> str:
        return str(self.get_right_display())


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Request received")
    LINKED = "linked", _("Linked to an earlier request for the same right")
    VERIFICATION_SENT = "verification_sent", _("Verification e-mail sent")
    VERIFICATION_REMINDER = "verification_reminder", _("Verification reminder sent")
    VERIFICATION_LOCKED = "verification_locked", _("Too many wrong codes")
    EMAIL_CONFIRMED = "email_confirmed", _("Requester's e-mail address confirmed")
    VERIFIED = "verified", _("Identity verified")
    SUBJECT_CONFIRMED = "subject_confirmed", _("Data subject confirmed the agent")
    SUBJECT_REJECTED = "subject_rejected", _("Data subject rejected the agent")
    # An officer's review of an agent's evidence of authority (LEGAL.md §3).
    EVIDENCE_UPLOADED = "evidence_uploaded", _("Evidence of the agent's authority uploaded")
    EVIDENCE_ACCEPTED = "evidence_accepted", _("Evidence of the agent's authority accepted")
    EVIDENCE_REJECTED = (
        "evidence_rejected",
        _("Evidence of the agent's authority not accepted; the agent was asked for new evidence"),
    )
    INFO_REQUESTED = "info_requested", _("Information requested from the requester")
    INFO_RECEIVED = "info_received", _("Information received from the requester")
    ID_DOCUMENT_UPLOADED = "id_document_uploaded", _("Identity document uploaded")
    ID_CHECKED = "id_checked", _("Identity document checked and deleted")
    MESSAGE_SENT = "message_sent", _("Message sent to the requester")
    MESSAGE_RECEIVED = "message_received", _("Message received from the requester")
    EXTENDED = "extended", _("Deadline extended")
    APPROVED = "approved", _("Processing approved")
    ERASURE_GOES_AHEAD = (
        "erasure_goes_ahead",
        _("Erasure goes ahead although the person has other open requests"),
    )
    ANSWERED_TOGETHER = (
        "answered_together",
        _("Answered together with the earlier request for the same right"),
    )
    PROCESSING_STARTED = "processing_started", _("Our systems are being searched")
    PROCESSING_FINISHED = "processing_finished", _("All systems have answered")
    RESTRICTION_LIFT_NOTIFIED = (
        "restriction_lift_notified",
        _("Told the requester a restriction will be lifted"),
    )
    RESTRICTION_LIFTED = "restriction_lifted", _("Restriction lifted")
    ANSWER_RELEASED = "answer_released", _("Answer sent")
    COMPLETED = "completed", _("Request completed")
    ANSWER_DOWNLOADED = "answer_downloaded", _("Answer downloaded")
    ANSWER_REISSUED = "answer_reissued", _("Download link renewed")
    ASSIGNED = "assigned", _("Assigned to an officer")
    NOTE_ADDED = "note_added", _("Internal note added")
    REDACTED = "redacted", _("Third-party data redacted from the answer")
    REDACTION_WITHDRAWN = "redaction_withdrawn", _("A redaction was withdrawn")
    JOB_RETRIED = "job_retried", _("A system's job was started again")
    DELIVERY_RETRIED = "delivery_retried", _("A failed e-mail or answer package was tried again")
    JOB_SKIPPED = "job_skipped", _("A system was skipped")
    JOB_DONE_BY_HAND = (
        "job_done_by_hand",
        _("A change a system could not make was done another way"),
    )
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    EXPIRED = "expired", _("Closed: identity not confirmed in time")
    REFUSED = "refused", _("Refused")
    PARTLY_REFUSED = "partly_refused", _("Partly refused")
    # Art. 12(5)(a): a reasonable fee instead of a refusal, and its payment.
    FEE_REQUESTED = "fee_requested", _("A reasonable fee was asked for (Art. 12(5) GDPR)")
    FEE_PAID = "fee_paid", _("The fee was paid")
    # Four eyes: one officer proposes a decision, another approves it or sends it back.
    PROPOSED = "proposed", _("Decision proposed")
    PROPOSAL_APPROVED = "proposal_approved", _("Proposed decision approved by a second officer")
    PROPOSAL_REJECTED = "proposal_rejected", _("Proposed decision sent back")
    PROPOSAL_WITHDRAWN = "proposal_withdrawn", _("Proposed decision withdrawn")
    OBJECTION_UPHELD = "objection_upheld", _("Objection upheld: the processing stops")
    DECISION_REVIEWED = (
        "decision_reviewed",
        _("Automated decision reviewed by a person (Art. 22(3) GDPR)"),
    )
    ERASURE_REPLAYED = "erasure_replayed", _("Erasure done again after a system was restored")
    ERASURE_POSTPONED = (
        "erasure_postponed",
        _("Scheduled erasure of kept records waits: the person has another open request"),
    )
    LEGAL_HOLD_SET = "legal_hold_set", _("Placed on legal hold")
    LEGAL_HOLD_RELEASED = "legal_hold_released", _("Legal hold released")
    MATTER_CHANGED = "matter_changed", _("What the request is about was corrected")
    # Art. 20(2): direct transmission to another controller.
    FORWARDED = "forwarded", _("Forwarded to another controller")
    TRANSMISSION_CONFIRMED = "transmission_confirmed", _("Direct transmission confirmed")
    TRANSMISSION_SENT = "transmission_sent", _("Download link sent to the other controller")
    TRANSMISSION_NOT_FEASIBLE = (
        "transmission_not_feasible",
        _("Direct transmission not technically feasible"),
    )
    TRANSMISSION_DOWNLOADED = (
        "transmission_downloaded",
        _("Answer downloaded by the other controller"),
    )


class ExtensionGround(models.TextChoices):
    """Art. 12(3): the period may be extended "taking into account the complexity and number
    of the requests"."""

    COMPLEXITY = "complexity", _("Complexity of the request")
    NUMBER_OF_REQUESTS = "number_of_requests", _("Number of requests")
    BOTH = "both", _("Complexity and number of requests")


class ExtensionFact(models.TextChoices):
    """What makes the request complex, or the requests numerous: the facts an Art. 12(3)
    extension rests on. ``EFFORT`` is offered so that it can be refused with the reason."""

    MANY_SYSTEMS = (
        "many_systems",
        _("The data is spread over many systems that must each be searched"),
    )
    LARGE_VOLUME = "large_volume", _("A large quantity of data has to be reviewed")
    THIRD_PARTIES = "third_parties", _("Other people's data has to be separated out")
    OTHER_PARTIES = "other_parties", _("Processors or other parties must supply part of the answer")
    PERSON_REQUESTS = "person_requests", _("The person has made several requests at once")
    MANY_REQUESTS = "many_requests", _("An unusual number of requests reached us at the same time")
    EFFORT = "effort", _("Our workload or the effort alone")


COMPLEXITY_FACTS = frozenset(
    {
        ExtensionFact.MANY_SYSTEMS,
        ExtensionFact.LARGE_VOLUME,
        ExtensionFact.THIRD_PARTIES,
        ExtensionFact.OTHER_PARTIES,
    }
)
NUMBER_FACTS = frozenset({ExtensionFact.PERSON_REQUESTS, ExtensionFact.MANY_REQUESTS})


class RequestEventQuerySet(models.QuerySet["RequestEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Request events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Request events are append-only.")


class RequestEvent(models.Model):
    """Append-only: what happened to a request, when, by whom and why."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    # No personal data here beyond what the request itself holds: ids, choices, dates.
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects: ClassVar[models.Manager["RequestEvent"]] = RequestEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Request events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Request events are append-only.")


class ChallengePurpose(models.TextChoices):
    VERIFY = "verify", _("Confirm the e-mail address of the requester")
    CONFIRM_AGENT = "confirm_agent", _("Data subject confirms the agent")
    STATUS_ACCESS = "status_access", _("Open the status page")


class VerificationChallenge(models.Model):
    """A one-time link and code sent by e-mail. Only hashes are kept; the code is held
    encrypted until the e-mail has gone out, then wiped."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="challenges")
    purpose = models.CharField(max_length=16, choices=ChallengePurpose.choices)
    sent_to = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    code_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.purpose}"


class FileKind(models.TextChoices):
    ID_DOCUMENT = "id_document", _("Identity document")
    AGENT_EVIDENCE = "agent_evidence", _("Evidence of authority")
    ATTACHMENT = "attachment", _("Attachment")
    # The PDF copy of a letter the portal sent (or that the officer posts).
    LETTER = "letter", _("Letter (PDF copy)")


class IdDocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    ID_CARD = "id_card", _("Identity card")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    OTHER = "other", _("Other document")


class RequestFile(models.Model):
    """An upload, stored encrypted. Identity documents are deleted as soon as they are checked."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=16, choices=FileKind.choices)
    storage_name = models.CharField(max_length=255, blank=True)
    # What the stored file is sealed to (dsr.core.crypto, format 3); None: sealed to the id.
    file_id = models.UUIDField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # Of the clear file, checked on every read ("" for files stored before it was recorded).
    sha256 = models.CharField(max_length=64, blank=True)
    document_type = models.CharField(max_length=16, choices=IdDocumentType.choices, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class MessageDirection(models.TextChoices):
    TO_REQUESTER = "out", _("To the requester")
    FROM_REQUESTER = "in", _("From the requester")


class QuestionPurpose(models.TextChoices):
    """Why an officer asks the requester something: only what the law lets stop the clock
    does (Art. 12(6), recital 63 and EDPB Guidelines 01/2022 §§ 159-163)."""

    IDENTITY = "identity", _("A reasonable doubt about the requester's identity (the clock stops)")
    AUTHORITY = "authority", _("The agent's authority to act for the person (the clock stops)")
    SCOPE = (
        "scope",
        _(
            "Which information or processing the request is about, as we process a large quantity "
            "of information about the person (the clock stops)"
        ),
    )
    OTHER = "other", _("Anything else, e.g. a preferred format (the clock keeps running)")


# The purposes that stop the clock until the answer arrives.
PAUSING_PURPOSES = frozenset(
    {QuestionPurpose.IDENTITY, QuestionPurpose.AUTHORITY, QuestionPurpose.SCOPE}
)


class CaseMessage(models.Model):
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # An officer's question that waits for an answer (it paused the clock if its purpose may).
    awaits_answer = models.BooleanField(default=False)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=QuestionPurpose.choices, blank=True
    )
    asks_for_id_document = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    # A requester's message is read once the officer working the case (anyone, while nobody
    # is) opened the case after it came: until then it is on their to-do list.
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.direction}"


class CaseNote(models.Model):
    """An officer's internal note on a case: never shown or sent to the requester."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("internal note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.created_at:%Y-%m-%d}"


class SentLetter(models.Model):
    """A copy of every e-mail and letter sent to the requester, for the case page.

    E-mails that carry a one-time code keep their subject only: the code is a secret. A letter
    to a request without an e-mail address has no ``to``: the officer posts its PDF copy.
    """

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="letters")
    template = models.CharField(max_length=40)
    to = models.EmailField(blank=True)
    subject = models.CharField(max_length=998)
    body = models.TextField(blank=True)
    with_pdf = models.BooleanField(default=False)
    # The PDF exactly as it was attached (or is to be posted), stored encrypted.
    pdf = models.ForeignKey(
        RequestFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("letter sent")
        verbose_name_plural = _("letters sent")
        ordering = ("sent_at", "pk")

    def __str__(self) -> str:
        return f"{self.request_id} {self.template}"


class ReferenceCounter(models.Model):
    """The last number handed out per year, for references like DSR-2026-00042."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
