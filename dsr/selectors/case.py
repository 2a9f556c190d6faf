"""The case page's reads: everything an officer sees about one request, and what they may do."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from connectors.base import Capability
from connectors.registry import capabilities
from connectors.registry import systems as configured_systems
from dsr.core import four_eyes
from dsr.core.clock import clock_for, today
from dsr.core.controller import get_controller
from dsr.core.register import activities_for_system, automated_activities
from dsr.models import (
    Delivery,
    DeliveryState,
    FileKind,
    JobStatus,
    LetterKind,
    Matter,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    RequestOutcome,
    ReviewOutcome,
    SubjectRequest,
)
from dsr.processing.dispatch import answers_first, needs_approval
from dsr.services import (
    agent_evidence,
    decision_review,
    decisions,
    erasure_approval,
    fees,
    refusals,
    retention,
    verification,
)
from dsr.services.refusals import GROUNDS


def _shortfall(code: str, result: dict[str, Any]) -> str:
    if code == "uncovered":
        return _("it holds %(records)s records of the person that it cannot change in this way") % {
            "records": result.get("uncovered", 0)
        }
    if code == "nothing_changed":
        return _("it changed nothing, although it holds the person's data")
    if code == "statement_not_kept":
        return _("it has no place to store the supplementary statement")
    return _("it cannot do this at all")


def job_explanations(item: SubjectRequest) -> dict[int, str]:
    """Why each waiting or held job waits, in words, by job id."""
    explained: dict[int, str] = {}
    for job in item.jobs.filter(status__in=[JobStatus.HELD, JobStatus.WAITING]):
        result = job.result or {}
        code = str(result.get("could_not") or "")
        why = _shortfall(code, result) if code else ""
        if job.status == JobStatus.WAITING:
            task = getattr(job, "manual_task", None)
            owner = task.owner_email if task is not None else ""
            text = (
                _("The system could not do this by itself (%(why)s).") % {"why": why} + " "
                if why
                else ""
            )
            text += _(
                "Waiting for the person responsible for the system (%(owner)s) to do it by hand."
            ) % {"owner": owner or _("no address configured")}
            if task is not None:
                text += " " + _("Task sent on %(sent)s.") % {
                    "sent": formats.date_format(task.created_at, "DATE_FORMAT")
                }
            explained[job.pk] = text
        elif why:
            explained[job.pk] = _(
                "The system could not do this by itself (%(why)s) and nobody is named as "
                'responsible for it. Decide: if it was done another way, say how with "Done '
                'another way"; if it cannot be done, say with Skip what happens instead (the '
                "letter tells the person under what we could not do); or retry once the "
                "system can."
            ) % {"why": why}
        elif result.get("note"):
            explained[job.pk] = _("Waiting for an officer: %(note)s") % {"note": result["note"]}
    return explained


def case_page(item: SubjectRequest, *, officer: User, language: str) -> dict[str, Any]:
    """What the case page shows (the forms are the view's)."""
    clock = clock_for(item)
    pending = item.proposals.filter(outcome=ProposalOutcome.PENDING).select_related("proposed_by")
    return {
        "item": item,
        "events": item.events.select_related("actor"),
        "explanation": clock.explain(language),
        "deadlines": clock.deadlines,
        "can_extend": item.is_open and clock.extension_allowed(today()),
        # Letters' PDF copies are with the letters (below), not among the uploads.
        "files": item.files.filter(deleted_at__isnull=True).exclude(kind=FileKind.LETTER),
        "case_messages": item.messages.select_related("author"),
        "notes": item.notes.select_related("author"),
        # Each GPC signal or one-click objection this request holds (Art. 21(5)).
        "privacy_signals": list(item.privacy_signals.all()),
        "letters": item.letters.select_related("pdf"),
        # What is owed and not sent yet, or failed: sent ones are the letters above.
        "deliveries": [
            Pending(delivery, delivery_label(delivery.label))
            for delivery in item.deliveries.exclude(state=DeliveryState.SENT)
        ],
        "purge_from": purge_from(item),
        "jobs": item.jobs.all(),
        "job_explanations": job_explanations(item),
        "failed_jobs": item.jobs.filter(status=JobStatus.FAILED).count(),
        "needs_approval": item.is_open and needs_approval(item),
        # An approved erasure held back until the same person's copy has been sent.
        "erasure_waits_for": answers_first(item)
        if item.is_open
        and not needs_approval(item)
        and item.jobs.filter(action="erase", status=JobStatus.PENDING).exists()
        else [],
        "erasure": erasure_review(item) if item.is_open and needs_approval(item) else None,
        "restricted": item.jobs.filter(action="restrict", status=JobStatus.SUCCEEDED).exists()
        and not item.jobs.filter(action="lift_restriction").exists(),
        "lift_notified": item.events.filter(kind="restriction_lift_notified").exists(),
        "JobStatus": JobStatus,
        "notices": item.notices.all(),
        "publication_notices": item.publication_notices.all(),
        "package": item.packages.filter(deleted_at__isnull=True).first() or item.packages.first(),
        "completable": item.status == "in_review" and not item.packages.exists(),
        "rectify_waiting": item.jobs.filter(
            action="rectify", status__in=[JobStatus.WAITING, JobStatus.HELD]
        )
        .exclude(result__has_key="could_not")
        .exists(),
        "decision": options(item),
        "proposals": [
            {
                "proposal": proposal,
                "mine": proposal.proposed_by_id == officer.pk,
                "details": describe(proposal),
            }
            for proposal in pending
        ],
        "objection_undecided": decisions.objects_on_particular_situation(item)
        and not decisions.objection_decided(item),
        # Art. 22: the officer's tasks, and the register's activities that decide by themselves.
        "review_asked": decision_review.asks_for_review(item),
        "review_tasks": decision_review.tasks(item),
        "review_undecided": decision_review.asks_for_review(item)
        and not decision_review.reviewed(item),
        "automated_activities": automated_activities_shown(language)
        if decision_review.asks_for_review(item)
        else [],
        "matter_suggestion": matter_suggestion(item, language),
        "findings": past_rule_findings(item),
        "earlier_requests": refusals.earlier_overview(item),
        "repetitive_months": refusals.REPETITIVE_MONTHS,
        "agent": agent_authority(item),
        "fee": fees.outstanding(item),
    }


@dataclass(frozen=True)
class AgentAuthorityState:
    """How far an agent's authority is proven: what the officer sees beside the verification."""

    proven: bool
    accepted: Any  # the event accepting the evidence, if any
    undecided: set[int]
    next_step: str = ""  # what the officer does now, while the agent's part is not settled


def agent_authority(item: SubjectRequest) -> AgentAuthorityState | None:
    if item.requester_type != "agent":
        return None
    accepted = (
        item.events.filter(kind="evidence_accepted").select_related("actor").order_by("at").first()
    )
    proven = verification.authority_proven(item)
    undecided = agent_evidence.undecided(item)
    return AgentAuthorityState(
        proven=proven,
        accepted=accepted,
        undecided=undecided,
        next_step=_agent_next_step(item, proven=proven, undecided=bool(undecided)),
    )


def _agent_next_step(item: SubjectRequest, *, proven: bool, undecided: bool) -> str:
    """After the person acted for confirms the agent the case goes on; the evidence the agent
    sent still waits for a decision (LEGAL.md §3: the reference to it is kept), and so may the
    agent's own address. Empty once nothing of the agent's part is left to do."""
    if not item.is_open:
        return ""
    if undecided and item.subject_confirmed_at:
        return _(
            "The person the agent acts for has confirmed the agent. Review the evidence of "
            "authority under Documents and record your decision on it."
        )
    if undecided:
        return _(
            "Review the evidence of authority under Documents (accept it with a reason, or "
            "reject it), or wait for the person the agent acts for to confirm the agent."
        )
    if proven and not item.verified_at:
        return _(
            "The agent's authority is proven. Wait for the agent to confirm their e-mail "
            "address, or record the request as verified below if you checked it otherwise."
        )
    return ""


@dataclass(frozen=True)
class Pending:
    """Owed work not sent yet (owed, sending) or failed, with what it is in words."""

    delivery: Delivery
    label: str | Promise


# The e-mails that are not letters an admin may rewrite (those are LetterKind's), and the
# package: what an officer reads instead of the task's name.
DELIVERY_LABELS: dict[str, Promise] = {
    "received": gettext_lazy("Confirmation of receipt"),
    "verification_code": gettext_lazy("Verification code"),
    "verification_reminder": gettext_lazy("Verification reminder"),
    "confirm_agent": gettext_lazy("Confirmation asked of the data subject (agent)"),
    "evidence_rejected": gettext_lazy("Agent's evidence not accepted: new evidence asked for"),
    "fee_requested": gettext_lazy("Fee letter (Art. 12(5) GDPR)"),
    "withdrawn": gettext_lazy("Withdrawal confirmed"),
    "linked": gettext_lazy("Notice: handled together with the earlier request"),
    "restriction_lift": gettext_lazy("Notice that a restriction will be lifted"),
    "status_code": gettext_lazy("Status page code"),
    "request_list": gettext_lazy("Link to all the requests at the person's address"),
    "manual_task": gettext_lazy("Task for a system's owner"),
    "manual_task_reminder": gettext_lazy("Reminder to a system's owner"),
    "manual_escalation": gettext_lazy("Escalation of a system owner's task"),
    "package": gettext_lazy("Answer package"),
    "transmission": gettext_lazy("Download link for the recipient controller (Art. 20(2))"),
    "webhook": gettext_lazy("Webhook to a subscribed system"),
}


def delivery_label(label: str) -> str | Promise:
    if label in LetterKind.values:
        return LetterKind(label).label
    return DELIVERY_LABELS.get(label, label)


@dataclass(frozen=True)
class MatterSuggestion:
    matter: str
    label: str
    activities: list[str]


def matter_suggestion(item: SubjectRequest, language: str) -> MatterSuggestion | None:
    """What the register says the request is about, where it differs from what is recorded:
    the systems that found the person's data serve activities of one matter (telecommunications
    contracts, say) that has an authority of its own. For the officer to confirm, not applied."""
    if item.matter or not item.is_open:
        return None
    found = {
        job.system
        for job in item.jobs.filter(action="locate", status=JobStatus.SUCCEEDED)
        if job.result.get("found")
    }
    matters: dict[str, list[str]] = {}
    for system in sorted(found):
        for activity in activities_for_system(system):
            if activity.matter:
                matters.setdefault(activity.matter, []).append(activity.text("name", language))
    if len(matters) != 1:
        return None  # none, or more than one: the officer decides from the request itself
    ((matter, names),) = matters.items()
    if not get_controller().authorities.filter(matter=matter).exists():
        return None  # the same authority either way
    return MatterSuggestion(matter, str(Matter(matter).label), sorted(set(names)))


def past_rule_findings(item: SubjectRequest) -> list[dict[str, Any]]:
    """Records a system still holds although its own stated deletion rule says they should be
    gone (they are in the answer): for the officer to take up with the system's owner."""
    names = {alias: config.name for alias, config in configured_systems().items()}
    found = []
    for job in item.jobs.filter(action="export", status=JobStatus.SUCCEEDED).order_by("system"):
        result = job.result or {}
        hours = result.get("expired") or {}
        for category, records in sorted((result.get("past_rule") or {}).items()):
            found.append(
                {
                    "system": names.get(job.system, job.system),
                    "category": category,
                    "hours": hours.get(category, 0),
                    "records": records,
                }
            )
    return found


@dataclass(frozen=True)
class AutomatedActivity:
    key: str
    name: str
    logic: str
    consequences: str


def automated_activities_shown(language: str) -> list[AutomatedActivity]:
    """The register's activities that decide by automated means alone, in the officer's
    language: what an Art. 22 review can be about."""
    return [
        AutomatedActivity(
            a.key,
            a.text("name", language),
            a.text("automated_logic", language),
            a.text("automated_consequences", language),
        )
        for a in automated_activities()
    ]


def review_activity_choices(item: SubjectRequest) -> list[tuple[str, str]]:
    return [(a.key, a.name) for a in automated_activities()]


def systems(item: SubjectRequest) -> list[str]:
    """The systems that took part in the request, by name: a redaction may keep to one."""
    return sorted(set(item.jobs.values_list("system", flat=True)))


def system_choices(item: SubjectRequest) -> list[tuple[str, str]]:
    """Every configured system as (alias, name in the request's language): a forwarding may
    name systems whose jobs have not started."""
    return [
        (alias, config.name_for(item.language)) for alias, config in configured_systems().items()
    ]


def purge_from(item: SubjectRequest) -> date | None:
    """When a closed request's retention period ends (LEGAL.md §5)."""
    closed_on = (
        RequestOutcome.objects.filter(request_id=item.pk)
        .values_list("closed_on", flat=True)
        .first()
    )
    return retention.purge_from(closed_on) if closed_on and not item.is_open else None


@dataclass(frozen=True)
class Options:
    """Which decisions the case page offers, and whether each goes to a second officer."""

    erasure: bool
    refusal: bool
    objection: bool
    erasure_four_eyes: bool
    refusal_four_eyes: bool
    objection_four_eyes: bool
    review: bool = False
    review_four_eyes: bool = False
    fee: bool = False
    fee_four_eyes: bool = False


def options(request: SubjectRequest) -> Options:
    is_open = request.is_open
    pending = set(
        request.proposals.filter(outcome=ProposalOutcome.PENDING).values_list("kind", flat=True)
    )
    return Options(
        erasure=is_open
        and request.verified_at is not None
        and ProposalKind.ERASURE not in pending
        and needs_approval(request)
        # Answered together with an earlier request: the erasure is approved there.
        and not (request.duplicate_of is not None and request.duplicate_of.is_open),
        refusal=is_open and ProposalKind.REFUSAL not in pending,
        objection=is_open
        and request.verified_at is not None
        and ProposalKind.OBJECTION not in pending
        and decisions.objects_on_particular_situation(request)
        and not decisions.objection_decided(request),
        erasure_four_eyes=four_eyes.needs_second_officer(request, ProposalKind.ERASURE),
        refusal_four_eyes=four_eyes.needs_second_officer(request, ProposalKind.REFUSAL),
        objection_four_eyes=four_eyes.needs_second_officer(request, ProposalKind.OBJECTION),
        review=is_open
        and request.verified_at is not None
        and ProposalKind.DECISION_REVIEW not in pending
        and decision_review.asks_for_review(request)
        and not decision_review.reviewed(request),
        review_four_eyes=four_eyes.needs_second_officer(request, ProposalKind.DECISION_REVIEW),
        fee=fees.fee_possible(request),
        fee_four_eyes=four_eyes.needs_second_officer(request, ProposalKind.FEE),
    )


def describe(proposal: Proposal) -> list[tuple[str, str]]:
    """What a proposal would do, in words, for the officer asked to approve it."""
    payload = proposal.payload
    rows: list[tuple[str, str]] = []
    if proposal.kind == ProposalKind.REFUSAL:
        rows.append((_("Ground"), str(GROUNDS.get(payload.get("ground", ""), ""))))
        if payload.get("statute"):
            rows.append((_("Provision"), str(payload["statute"])))
        rows.append(
            (_("Extent"), _("Part of the request") if payload.get("partial") else _("All of it"))
        )
    elif proposal.kind == ProposalKind.DECISION_REVIEW:
        activity = next(
            (a for a in automated_activities() if a.key == payload.get("activity")), None
        )
        rows += [
            (_("Activity"), activity.name if activity else str(payload.get("activity", ""))),
            (_("Reviewed by (role)"), str(payload.get("reviewer_role", ""))),
            (
                _("Point of view considered"),
                _("Yes") if payload.get("view_considered") else _("No"),
            ),
            (_("Outcome"), str(ReviewOutcome(payload["outcome"]).label)),
        ]
    elif proposal.kind == ProposalKind.FEE:
        rows.append((_("Why a fee"), str(fees.BASES.get(payload.get("basis", ""), ""))))
        if payload.get("sub_ground"):
            sub = refusals.SUB_GROUNDS.get(payload.get("basis", ""), {})
            rows.append((_("What makes it so"), str(sub.get(payload["sub_ground"], ""))))
        rows.append((_("Amount"), f"{payload.get('amount', '')} {payload.get('currency', '')}"))
    elif proposal.kind == ProposalKind.OBJECTION:
        rows.append(
            (
                _("Outcome"),
                _("Upheld: the processing stops")
                if payload.get("upheld")
                else _("Rejected: the processing continues; the requester gets the reasons"),
            )
        )
    return rows


@dataclass(frozen=True)
class KeptGroup:
    what: str
    records: int
    legal_basis: str
    statute: str
    until: date | None
    needed_for: str


@dataclass(frozen=True)
class SystemPreview:
    """What the erasure will do in one system, as the system itself answered when searched.
    ``state``: searching, failed, unsearchable (the system cannot locate), not_found,
    cannot_erase, unknown (the system cannot say before it erases), previewed."""

    system: str
    state: str
    records: int = 0
    erased: int = 0
    anonymised: int = 0
    kept: tuple[KeptGroup, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class ErasureReview:
    """The erasure approval: the locate phase's answers and the person's other requests."""

    phase: str
    systems: tuple[SystemPreview, ...]
    others: tuple[erasure_approval.OtherRequest, ...]
    # The person asked to erase only some data: the systems show what erasing all of theirs
    # would do; the officer starts the systems in scope after the approval.
    partial: bool = False

    @property
    def ready(self) -> bool:
        return self.phase in ("finished", "none") and not self.waiting

    @property
    def waiting(self) -> tuple[erasure_approval.OtherRequest, ...]:
        return tuple(o for o in self.others if o.conflicts and not o.overridden)


def erasure_review(item: SubjectRequest) -> ErasureReview:
    return ErasureReview(
        phase=erasure_approval.locate_phase(item),
        systems=tuple(
            system_preview(job) for job in item.jobs.filter(action="locate").order_by("step")
        ),
        others=tuple(erasure_approval.other_open_requests(item)),
        partial=any(
            r.right == "erasure" and r.details.get("scope") == "parts"
            for r in item.requested_rights.all()
        ),
    )


def system_preview(job: Any) -> SystemPreview:
    result = job.result or {}
    if job.status == JobStatus.FAILED:
        return SystemPreview(job.system, "failed", error=job.last_error)
    if job.status == JobStatus.SKIPPED:
        # Not searched: the system cannot locate, or an officer skipped it (with the reason).
        return SystemPreview(job.system, "unsearchable", error=job.skipped_reason)
    if job.status != JobStatus.SUCCEEDED:
        return SystemPreview(job.system, "searching")
    if not result.get("found"):
        return SystemPreview(job.system, "not_found")
    records = int(result.get("records") or 0)
    known = job.system in configured_systems()
    if known and Capability.ERASE not in capabilities(job.system):
        return SystemPreview(job.system, "cannot_erase", records=records)
    preview = result.get("preview")
    if not preview:
        return SystemPreview(job.system, "unknown", records=records)
    return SystemPreview(
        job.system,
        "previewed",
        records=records,
        erased=int(preview.get("erased") or 0),
        anonymised=int(preview.get("anonymised") or 0),
        kept=tuple(
            KeptGroup(
                what=str(kept.get("what", "")),
                records=int(kept.get("records") or 0),
                legal_basis=str(kept.get("legal_basis", "")),
                statute=str(kept.get("statute", "")),
                until=date.fromisoformat(kept["erase_after"]) if kept.get("erase_after") else None,
                needed_for=str(kept.get("needed_for", "")),
            )
            for kept in preview.get("retained", [])
        ),
    )
