"""The case domain's models."""

from dsr.models.controller import Controller, SupervisoryAuthority
from dsr.models.outbox import OutboxMessage
from dsr.models.requests import (
    CLOSED_STATUSES,
    AgentAuthority,
    CaseMessage,
    ChallengePurpose,
    Channel,
    EventKind,
    FileKind,
    IdDocumentType,
    MessageDirection,
    ReferenceCounter,
    RequestedRight,
    RequesterType,
    RequestEvent,
    RequestFile,
    Status,
    SubjectRequest,
    VerificationChallenge,
    VerificationMethod,
)

__all__ = [
    "CLOSED_STATUSES",
    "AgentAuthority",
    "CaseMessage",
    "ChallengePurpose",
    "Channel",
    "Controller",
    "EventKind",
    "FileKind",
    "IdDocumentType",
    "MessageDirection",
    "OutboxMessage",
    "ReferenceCounter",
    "RequestEvent",
    "RequestFile",
    "RequestedRight",
    "RequesterType",
    "Status",
    "SubjectRequest",
    "SupervisoryAuthority",
    "VerificationChallenge",
    "VerificationMethod",
]
