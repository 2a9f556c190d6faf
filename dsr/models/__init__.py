"""The case domain's models."""

from dsr.models.controller import Controller, SupervisoryAuthority
from dsr.models.outbox import OutboxMessage

__all__ = ["Controller", "OutboxMessage", "SupervisoryAuthority"]
