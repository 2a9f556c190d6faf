"""The audit log: append-only and hash-chained, so an edited or deleted entry shows."""

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    EVENT = "event", _("Request event")
    STAFF_VIEW = "staff_view", _("Staff member viewed a requester's data")
    EXPORT = "export", _("Audit log exported")
    PURGED = "purged", _("Request purged at the end of its retention period")
    KEYED = "keyed", _("The audit log is keyed from here on")
    FILE_REFUSED = "file_refused", _("A stored file failed its integrity check and was refused")
    STAFF_ACCOUNT = "staff_account", _("A privacy admin changed a staff account")
    API_CALL = "api_call", _("Call to the JSON API")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One entry. ``hash`` = HMAC-SHA256 (a key outside the database) over the previous entry's
    hash and this entry's fields (plain SHA-256 before the chain was keyed).

    Ids only: the personal data stays in the request; an event is covered by the digest of its
    row, so editing the event is caught too.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=AuditKind.choices)
    request_id = models.BigIntegerField(null=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    # "event:<pk>" for events: each is logged once, whoever gets there first.
    source = models.CharField(max_length=40, null=True, unique=True)  # noqa: DJ001  # NULLs never clash
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects: ClassVar[models.Manager["AuditEntry"]] = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ("seq",)

    def __str__(self) -> str:
        return f"{self.seq} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is append-only.")


class AuditHead(models.Model):
    """The chain's end (one row), locked while appending so entries are strictly in order, and
    the proof that nothing was cut off the end."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit log head")

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"
