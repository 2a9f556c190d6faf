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
    ExtensionGround,
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
from dsr.models.stats import ANSWERED, Outcome, RequestOutcome

__all__ = [
    "ANSWERED",
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
    "ExtensionGround",
    "FileKind",
    "IdDocumentType",
    "LegalBasis",
    "LetterKind",
    "LetterTemplate",
    "MessageDirection",
    "OutboxMessage",
    "Outcome",
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
    "RequestOutcome",
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
