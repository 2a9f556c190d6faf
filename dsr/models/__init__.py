"""The case domain's models."""

from dsr.models.answers import AnswerPackage, Redaction
from dsr.models.audit import AuditEntry, AuditHead, AuditKind
from dsr.models.controller import Controller, SupervisoryAuthority
from dsr.models.decisions import Proposal, ProposalKind, ProposalOutcome
from dsr.models.letters import LetterKind, LetterTemplate
from dsr.models.outbox import OutboxMessage
from dsr.models.queue import SavedFilter
from dsr.models.register import (
    LegalBasis,
    ProcessingActivity,
    Recipient,
    RecipientRole,
    TransferSafeguard,
)
from dsr.models.requests import (
    CLOSED_STATUSES,
    AgentAuthority,
    CaseMessage,
    CaseNote,
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
    SentLetter,
    Status,
    SubjectRequest,
    VerificationChallenge,
    VerificationMethod,
)

__all__ = [
    "CLOSED_STATUSES",
    "AgentAuthority",
    "AnswerPackage",
    "AuditEntry",
    "AuditHead",
    "AuditKind",
    "CaseMessage",
    "CaseNote",
    "ChallengePurpose",
    "Channel",
    "Controller",
    "EventKind",
    "FileKind",
    "IdDocumentType",
    "LegalBasis",
    "LetterKind",
    "LetterTemplate",
    "MessageDirection",
    "OutboxMessage",
    "ProcessingActivity",
    "Proposal",
    "ProposalKind",
    "ProposalOutcome",
    "Recipient",
    "RecipientRole",
    "Redaction",
    "ReferenceCounter",
    "RequestEvent",
    "RequestFile",
    "RequestedRight",
    "RequesterType",
    "SavedFilter",
    "SentLetter",
    "Status",
    "SubjectRequest",
    "SupervisoryAuthority",
    "TransferSafeguard",
    "VerificationChallenge",
    "VerificationMethod",
]
