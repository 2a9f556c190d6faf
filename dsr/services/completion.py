"""Completing a request that changes data (rectification, erasure, restriction, objection,
consent withdrawal) or asks for the review of an automated decision (Art. 22): the letter says
what was done where, what was kept and why, whom we told (Art. 19), and what the review of the
decision came to."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from connectors.registry import systems
from dsr.core import legal_texts
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import EventKind, NoticeStatus, SubjectRequest
from dsr.rights import Right
from dsr.services import decision_review
from dsr.services.decisions import objection_decided, objects_on_particular_situation

ANSWERED_BY_PACKAGE = frozenset({Right.ACCESS, Right.PORTABILITY})


def outcome(request: SubjectRequest) -> dict[str, Any]:
    """What each system did, for the letter (counts and kept items: no personal data), and
    what could not be done where, with the officer's decision on what happens instead."""
    configured = systems()
    done: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    could_not: list[dict[str, Any]] = []
    statement_in: list[str] = []
    jobs = request.jobs.filter(status__in=["succeeded", "skipped"]).exclude(action="locate")
    for job in jobs:
        config = configured.get(job.system)
        name = config.name_for(request.language) if config else job.system
        result = job.result or {}
        if job.status == "skipped":
            if not result.get("could_not"):
                continue  # no data there, or not in scope: nothing was asked of it
            could_not.append(
                {
                    "system": name,
                    "action": job.action,
                    "why": result["could_not"],
                    "decision": job.skipped_reason,
                }
            )
            if job.action != "rectify" or not result.get("changed"):
                # A partial restriction or suppression is not "restricted": only the
                # shortfall is said. Fields that were corrected still are, below.
                continue
        changed = int(result.get("changed", 0))
        done.append(
            {
                "system": name,
                "action": job.action,
                "erased": result.get("erased", 0),
                "anonymised": result.get("anonymised", 0),
                "repeated": bool(result.get("repeated")),
                "changed": changed,
                # The person's records there are in the asked state (now, or already were).
                "held": bool(changed or result.get("already") or result.get("by_hand")),
                "by_hand": bool(result.get("by_hand")),
                "not_marketing": bool(result.get("not_marketing")),
                "statement_kept": bool(result.get("statement_kept")),
            }
        )
        if job.action == "rectify" and result.get("statement_kept"):
            statement_in.append(name)
        kept += [
            {
                **item,
                "system": name,
                # The known kinds and bases from translated sources; other text as given.
                "what": legal_texts.kind(str(item.get("what", ""))),
                "legal_basis": legal_texts.legal_basis(str(item.get("legal_basis", ""))),
                "needed_for": legal_texts.kind(str(item.get("needed_for", ""))),
            }
            for item in result.get("retained", [])
        ]
    # A recipient of several systems' data (Salesforce for the CRM and for its own org) was
    # told once per system, but is one recipient to the person.
    informed = list(dict.fromkeys(n.recipient for n in request.notices.filter(status="notified")))
    published = list(request.publication_notices.all())
    for item in kept:
        if item.get("erase_after"):
            item["erase_after"] = date.fromisoformat(item["erase_after"])
    return {
        "done": done,
        "kept": kept,
        "could_not": could_not,
        "statement_in": sorted(statement_in),
        "informed": informed,
        # Art. 17(2): the controllers of data we had made public, informed (and when) or not.
        "public_informed": [
            {"controller": n.controller, "on": n.decided_at}
            for n in published
            if n.status == NoticeStatus.NOTIFIED
        ],
        "public_not_informed": [
            n.controller for n in published if n.status == NoticeStatus.NOT_NOTIFIED
        ],
        "backup_days": settings.DSR_BACKUP_DAYS,
        "rights_done": sorted(request.requested_rights.values_list("right", flat=True)),
        "objection_upheld": request.events.filter(kind=EventKind.OBJECTION_UPHELD).exists(),
        # Art. 22(3): what the person who reviewed the automated decision made of it.
        **decision_review.letter_context(request),
    }


@transaction.atomic
def complete(request: SubjectRequest, *, officer: User) -> None:
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    rights = set(request.requested_rights.values_list("right", flat=True))
    if rights & ANSWERED_BY_PACKAGE:
        raise RequestError(_("This request is answered by sending its package."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not request.events.filter(kind=EventKind.PROCESSING_FINISHED).exists():
        raise RequestError(_("Not every system has answered yet."))
    if request.jobs.exclude(status__in=["succeeded", "skipped"]).exists():
        raise RequestError(_("A system's job failed or is still open."))
    if objects_on_particular_situation(request) and not objection_decided(request):
        raise RequestError(_("Decide on the objection (Art. 21(1) GDPR) first."))
    if decision_review.asks_for_review(request) and not decision_review.reviewed(request):
        raise RequestError(
            _("Record the review of the automated decision (Art. 22(3) GDPR) first.")
        )
    if request.notices.filter(status="pending").exists():
        raise RequestError(_("Record for each recipient whether it was told (Art. 19) first."))
    if request.publication_notices.filter(status=NoticeStatus.PENDING).exists():
        raise RequestError(
            _(
                "Record for each controller of the data made public whether it was informed "
                "(Art. 17(2)) first."
            )
        )
    summary = outcome(request)
    record(
        request,
        EventKind.COMPLETED,
        actor=officer,
        data={
            "systems": len(summary["done"]),
            "kept": len(summary["kept"]),
            "could_not": len(summary["could_not"]),
        },
    )
    send_to_requester(request, "completed")  # the worker builds the letter from the jobs, by id
