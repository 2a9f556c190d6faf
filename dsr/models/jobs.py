"""Connector jobs: one per (request, system, action), the unit the workers claim and retry."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dsr.models.requests import SubjectRequest


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for earlier steps")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    WAITING = "waiting", _("Waiting for the system's owner")
    HELD = "held", _("Waiting for an officer")


class Action(models.TextChoices):
    LOCATE = "locate", _("Find the person's data")
    EXPORT = "export", _("Export the person's data")
    RECTIFY = "rectify", _("Correct the person's data")
    ERASE = "erase", _("Erase the person's data")
    RESTRICT = "restrict", _("Restrict the processing")
    LIFT_RESTRICTION = "lift_restriction", _("Lift the restriction")
    OBJECT = "object", _("Stop direct marketing (suppress)")


DONE = frozenset({JobStatus.SUCCEEDED, JobStatus.SKIPPED})
UNFINISHED = frozenset(
    {JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING, JobStatus.HELD}
)


class ConnectorJob(models.Model):
    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="jobs")
    system = models.CharField(_("system"), max_length=64)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    step = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Every claim, never reset (unlike attempts when an officer retries): names export runs.
    runs = models.PositiveIntegerField(default=0)
    # The token of the worker that holds the job; outcomes are written only under it.
    claim = models.CharField(max_length=32, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # Error class and a message written by our code: never the vendor's payload (personal data).
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    stuck = models.BooleanField(default=False)
    # Counts, retained items, page counts: no personal data.
    result = models.JSONField(default=dict, blank=True)
    # Identifiers this system revealed (customer numbers, vendor ids): personal data, stays here.
    found = models.JSONField(default=dict, blank=True)
    skipped_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("connector job")
        verbose_name_plural = _("connector jobs")
        ordering = ("step", "system", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "system", "action"], name="one_job_per_system_action"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="job_status_next"),
            # The queue's "connector problems": the few failed jobs, found per request.
            models.Index(
                fields=["request"], condition=models.Q(status="failed"), name="job_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.system}:{self.action}"


class ExportPart(models.Model):
    """One encrypted page of exported records, in storage (never in the database)."""

    job = models.ForeignKey(ConnectorJob, on_delete=models.CASCADE, related_name="parts")
    attempt = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    category = models.CharField(max_length=100)
    storage_name = models.CharField(max_length=255)
    # What the stored page is sealed to (dsr.core.crypto, format 3); None: sealed to the id.
    file_id = models.UUIDField(null=True, blank=True, editable=False)
    records = models.PositiveIntegerField()
    provided_fields = models.JSONField(null=True, blank=True)
    # What the system declared for Art. 20 (``connectors.base.ExportPage``): the fields it
    # inferred, and the legal basis of the processing ("" = see the register).
    inferred_fields = models.JSONField(default=list, blank=True)
    legal_basis = models.CharField(max_length=40, blank=True)
    # JSON lines of records, or a document a system owner uploaded as it was (a PDF).
    media_type = models.CharField(max_length=64, default="application/jsonl")

    class Meta:
        ordering = ("job", "sequence")

    def __str__(self) -> str:
        return f"{self.job_id}:{self.category}:{self.sequence}"


class ManualTask(models.Model):
    """What the owner of a system without an API is asked to do for one job."""

    job = models.OneToOneField(ConnectorJob, on_delete=models.CASCADE, related_name="manual_task")
    owner_email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"task for job {self.job_id}"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("To be notified")
    NOTIFIED = "notified", _("Notified")
    NOT_NOTIFIED = "not_notified", _("Not notified (reason recorded)")


class RecipientNotice(models.Model):
    """Art. 19: each recipient of a system's data is told of a rectification, erasure or
    restriction, or the reason why not is recorded."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="notices")
    system = models.CharField(_("system"), max_length=64)
    recipient = models.CharField(_("recipient"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("system", "recipient")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "system", "recipient"], name="one_notice_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.recipient}"


class PublicationNotice(models.Model):
    """Art. 17(2): a controller that processes data we made public is informed that the person
    asked for erasure, or the reason why not is recorded. Owed once the erasure ran in a system
    of the activity that made the data public."""

    request = models.ForeignKey(
        SubjectRequest, on_delete=models.PROTECT, related_name="publication_notices"
    )
    activity = models.CharField(_("processing activity"), max_length=64)  # its key
    where = models.TextField(_("where it was made public"), blank=True)
    controller = models.CharField(_("controller"), max_length=300)
    contact = models.TextField(_("contact"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("owed since"), auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("activity", "controller")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "activity", "controller"], name="one_publication_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.controller}"


class WebhookResult(models.Model):
    """What an in-house system reported by a signed callback, until its job picks it up.

    The report may hold the person's exported data: it is kept encrypted (written by
    ``dsr.processing.callbacks.accept``) and deleted once the job has it, with the package,
    and by retention."""

    job = models.ForeignKey(ConnectorJob, on_delete=models.CASCADE, related_name="callbacks")
    status = models.CharField(max_length=16)
    payload_encrypted = models.TextField(blank=True)  # Fernet, see dsr.core.crypto
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-received_at", "-pk")

    def __str__(self) -> str:
        return f"{self.job_id} {self.status}"


class ScheduledErasure(models.Model):
    """Records kept under a retention duty, to erase when the duty ends (BDSG § 35)."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.PROTECT, related_name="+")
    system = models.CharField(max_length=64)
    what = models.CharField(max_length=300)
    legal_basis = models.CharField(max_length=300)
    erase_after = models.DateField(db_index=True)
    # Where the kept records are: a table (or another location) and their keys.
    location = models.CharField(max_length=200, blank=True)
    keys = models.JSONField(default=list, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    erased = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # Due, but the same person has another open request (its reference): the portal's own
    # schedule does not delete data in scope of an open request; it runs once that closes.
    waiting_for = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ("erase_after", "pk")

    def __str__(self) -> str:
        return f"{self.system} {self.erase_after}"
