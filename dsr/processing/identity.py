"""Whom the systems look for: the subject value object built from what someone checked."""

import json
from dataclasses import replace

from connectors.base import SubjectIdentity
from dsr.core.controller import get_controller
from dsr.core.crypto import decrypt_text
from dsr.models import (
    ConnectorJob,
    JobStatus,
    SubjectRequest,
    VerificationMethod,
)


def identity_for(request: SubjectRequest) -> SubjectIdentity:
    """Whom the systems look for. Only identifiers someone checked: the e-mail address the
    requester proved they control, and (after an officer verified the person) the telephone
    and customer number they gave. Typed-in numbers alone would let anyone who knows a
    stranger's customer number receive that stranger's data. An OpenDSR controller that
    verifies its people vouches for every identifier it sent (we act on its instructions)."""
    trusted = request.verification_method in (
        VerificationMethod.OFFICER,
        VerificationMethod.CONTROLLER,
    )
    email_proven = request.verification_method in (
        VerificationMethod.ACCOUNT,
        VerificationMethod.EMAIL_LINK,
        VerificationMethod.EMAIL_CODE,
        VerificationMethod.OFFICER,
        VerificationMethod.CONTROLLER,
    )
    identity = SubjectIdentity(
        email=request.email if email_proven else "",
        phone=request.phone if trusted else "",
        customer_number=request.customer_number if trusted else "",
        name=request.name,
        request_key=request.reference,
        controller_country=get_controller().country,
    )
    for found in request.jobs.filter(status=JobStatus.SUCCEEDED).values_list("found", flat=True):
        if found:
            identity = identity.with_found(found)
    return identity


def identity_for_job(job: ConnectorJob) -> SubjectIdentity:
    """The identity, with what the job's system already reported by signed callback (the
    newest report for each of its request ids wins)."""
    payloads = [
        json.loads(decrypt_text(result.payload_encrypted))
        for result in job.callbacks.order_by("received_at", "pk")
        if result.payload_encrypted
    ]
    reports = {str(p.get("subject_request_id", "")): dict(p) for p in payloads}
    return replace(identity_for(job.request), reports=reports)
