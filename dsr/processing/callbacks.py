"""Signed status callbacks from in-house systems: stored on their job, which runs again now.

A callback may carry the person's exported data: it is stored encrypted, and deleted once the
job has succeeded with it (``consumed``), when the request closes (``forget_finished``), with the
package and by retention."""

import json
from typing import Any

from django.db import transaction

from connectors.backends.webhook import WebhookConnector
from connectors.base import Capability
from dsr.core.crypto import encrypt_text
from dsr.models import UNFINISHED, ConnectorJob, JobStatus, SubjectRequest, WebhookResult
from dsr.processing.dispatch import wake
from dsr.processing.identity import identity_for


@transaction.atomic
def accept(backend: WebhookConnector, *, request_id: str, payload: dict[str, Any]) -> bool:
    """Store a verified callback on the open job it answers; False if no open job matches.
    The request id is derived from the request, the system, the action and the person, so
    only the job that sent it can match."""
    open_jobs = (
        ConnectorJob.objects.filter(system=backend.alias)
        .exclude(status__in=[JobStatus.SUCCEEDED, JobStatus.SKIPPED])
        .select_related("request")
    )
    for job in open_jobs:
        if backend.request_id(identity_for(job.request), Capability(job.action)) == request_id:
            WebhookResult.objects.create(
                job=job,
                status=str(payload.get("request_status", "")),
                payload_encrypted=encrypt_text(json.dumps(payload, ensure_ascii=False)),
            )
            wake(job)
            return True
    return False


def consumed(job: ConnectorJob) -> None:
    """The job has what its system reported (in its result or its encrypted export pages):
    the callbacks go."""
    WebhookResult.objects.filter(job=job).delete()


def forget_finished(request: SubjectRequest) -> None:
    """The request closed: what systems reported for its finished jobs (failed ones too) is no
    longer needed. A job still open (lifting a restriction after the close) keeps its own."""
    WebhookResult.objects.filter(job__request=request).exclude(job__status__in=UNFINISHED).delete()
