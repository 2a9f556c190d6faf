"""Staff pages for a request: the list, the case, manual intake, and the identity decisions."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import staff_required, staff_user
from accounts.models import User
from connectors import services as fanout
from connectors.models import JobStatus
from dsr.forms import detail_rows
from dsr.models import FileKind, ProposalOutcome, SubjectRequest
from dsr.rights import Right
from dsr.services import audit, decisions, retention
from dsr.services import requests as services
from dsr.services.clock import clock_for, today
from dsr.services.controller import get_controller
from dsr.services.files import read_file
from dsr.staff_forms import (
    ApproveForm,
    AskForm,
    AssignForm,
    ChangesForm,
    DecideIdForm,
    ErasureDecisionForm,
    ExtendForm,
    JobForm,
    LegalHoldForm,
    ManualIntakeForm,
    NoteForm,
    NoticeForm,
    ObjectionDecisionForm,
    ProposalForm,
    RedactForm,
    RefusalForm,
    SendBackForm,
    VerifyForm,
)


def _case(reference: str) -> SubjectRequest:
    return get_object_or_404(SubjectRequest, reference=reference)


@staff_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = _case(reference)
    audit.staff_viewed(item.pk, staff_user(request).pk, "case")
    clock = clock_for(item)
    return render(
        request,
        "staff/case_detail.html",
        {
            "item": item,
            "rights": [
                (r.get_right_display(), detail_rows(r.right, r.details))
                for r in item.requested_rights.all()
            ],
            "events": item.events.select_related("actor"),
            "explanation": clock.explain(request.LANGUAGE_CODE),
            "deadlines": clock.deadlines,
            "can_extend": item.is_open and clock.extension_allowed(today()),
            "files": item.files.filter(deleted_at__isnull=True),
            "case_messages": item.messages.select_related("author"),
            "notes": item.notes.select_related("author"),
            "letters": item.letters.all(),
            "note_form": NoteForm(),
            "verify_form": VerifyForm(),
            "assign_form": AssignForm(initial={"assignee": item.assignee_id}),
            "ask_form": AskForm(),
            "extend_form": ExtendForm(),
            "hold_form": LegalHoldForm(auto_id="id_hold_%s"),
            "purge_from": _purge_from(item),
            "decide_form": DecideIdForm(),
            "jobs": item.jobs.all(),
            "failed_jobs": item.jobs.filter(status=JobStatus.FAILED).count(),
            "needs_approval": item.status == "verified" and fanout.needs_approval(item),
            "restricted": item.jobs.filter(action="restrict", status=JobStatus.SUCCEEDED).exists()
            and not item.jobs.filter(action="lift_restriction").exists(),
            "lift_notified": item.events.filter(kind="restriction_lift_notified").exists(),
            "JobStatus": JobStatus,
            "notices": item.notices.all(),
            "package": item.packages.filter(deleted_at__isnull=True).first()
            or item.packages.first(),
            "completable": item.status == "in_review" and not item.packages.exists(),
            "changes_form": ChangesForm(),
            "rectify_waiting": item.jobs.filter(
                action="rectify", status=JobStatus.WAITING
            ).exists(),
            **_decisions_context(item, staff_user(request)),
        },
    )


def _decisions_context(item: SubjectRequest, officer: User) -> dict[str, object]:
    pending = item.proposals.filter(outcome=ProposalOutcome.PENDING).select_related("proposed_by")
    return {
        "decision": decisions.options(item),
        "proposals": [
            {
                "proposal": proposal,
                "mine": proposal.proposed_by_id == officer.pk,
                "details": decisions.describe(proposal),
            }
            for proposal in pending
        ],
        "erasure_form": ErasureDecisionForm(),
        "refusal_form": RefusalForm(),
        "objection_form": ObjectionDecisionForm(),
        "objection_undecided": decisions.objects_on_particular_situation(item)
        and not decisions.objection_decided(item),
    }


def _purge_from(item: SubjectRequest) -> date | None:
    """When a closed request's retention period ends (LEGAL.md §5)."""
    from dsr.models import RequestOutcome

    closed_on = (
        RequestOutcome.objects.filter(request_id=item.pk)
        .values_list("closed_on", flat=True)
        .first()
    )
    return retention.purge_from(closed_on) if closed_on and not item.is_open else None


@staff_required
def case_package(request: HttpRequest, reference: str) -> HttpResponse:
    """What the answer holds, file by file as it will be sent, and the redactions made."""
    from dsr.services import answers

    item = _case(reference)
    audit.staff_viewed(item.pk, staff_user(request).pk, "package")
    package = item.packages.filter(deleted_at__isnull=True).first()
    return render(
        request,
        "staff/case_package.html",
        {
            "item": item,
            "package": package,
            "files": answers.preview(package) if package else [],
            "rebuilding": package is None and item.packages.exists() and item.is_open,
            "redactions": item.redactions.select_related("officer"),
            "systems": sorted(set(item.jobs.values_list("system", flat=True))),
            "form": RedactForm(),
        },
    )


def _act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    item = _case(reference)
    officer = staff_user(request)
    forms = {
        "verify": VerifyForm,
        "ask": AskForm,
        "extend": ExtendForm,
        "decide": DecideIdForm,
        "erasure": ErasureDecisionForm,
        "refusal": RefusalForm,
        "objection": ObjectionDecisionForm,
        "approve_proposal": ProposalForm,
        "send_back": SendBackForm,
        "withdraw_proposal": ProposalForm,
        "retry": JobForm,
        "skip": JobForm,
        "retry_failed": ApproveForm,
        "notify_lift": ApproveForm,
        "lift": ApproveForm,
        "notice": NoticeForm,
        "changes": ChangesForm,
        "release": ApproveForm,
        "complete": ApproveForm,
        "reissue": ApproveForm,
        "redact": RedactForm,
        "assign": AssignForm,
        "note": NoteForm,
        "hold": LegalHoldForm,
    }
    back = "staff:case_package" if action == "redact" else "staff:case"
    form = forms[action](request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect(back, reference)
    data = form.cleaned_data
    try:
        if action == "verify":
            services.verify_manually(item, officer=officer, reason=data["reason"])
            messages.success(request, _("The identity is recorded as verified."))
        elif action == "ask":
            services.request_information(
                item,
                officer=officer,
                question=data["question"],
                id_document=data["id_document"],
                reason=data["reason"],
            )
            item.refresh_from_db()
            if item.paused:
                messages.success(request, _("The question was sent; the clock is paused."))
            else:
                messages.warning(
                    request,
                    _(
                        "The question was sent. It came too late after receipt to pause the "
                        "clock, which keeps running."
                    ),
                )
        elif action == "extend":
            services.extend(item, officer=officer, reasons=data["reasons"], ground=data["ground"])
            messages.success(request, _("The deadline was extended and the requester told why."))
        elif action == "decide":
            file = get_object_or_404(item.files, pk=data["file"], kind=FileKind.ID_DOCUMENT)
            services.decide_id_document(
                file, officer=officer, accepted=data["accepted"], reason=data["reason"]
            )
            messages.success(request, _("The document was checked and deleted."))
        elif action in DECISIONS:
            _decision(request, item, action, data)
        elif action in PROPOSAL_ACTIONS:
            _proposal_action(request, item, action, data)
        elif action == "hold":
            retention.set_legal_hold(item, admin=officer, hold=data["hold"], reason=data["reason"])
            messages.success(
                request,
                _("The request is on legal hold.")
                if data["hold"]
                else _("The legal hold is released."),
            )
        else:
            _job_action(request, item, action, data)
    except (services.RequestError, fanout.JobError, retention.HoldError) as exc:
        messages.error(request, str(exc))
    return redirect(back, reference)


# Decisions go through dsr.services.decisions only: it decides whether a second officer is needed.
DECISIONS = {"erasure", "refusal", "objection"}
PROPOSAL_ACTIONS = {"approve_proposal", "send_back", "withdraw_proposal"}


def _payload(action: str, data: dict[str, object]) -> dict[str, object]:
    if action == "refusal":
        return {
            "ground": data["ground"],
            "statute": data.get("statute", ""),
            "partial": bool(data.get("partial")),
        }
    if action == "objection":
        return {"upheld": bool(data["upheld"])}
    return {}


def _decided_message(kind: str, payload: dict[str, object]) -> str:
    if kind == "erasure":
        return _("Approved: the systems are being processed.")
    if kind == "objection" and payload.get("upheld"):
        return _(
            "The objection is upheld. Once the systems have answered, complete the request: "
            "the letter tells the requester that the processing stopped."
        )
    return _("The refusal was sent to the requester with the reasons and the remedies.")


def _decision(
    request: HttpRequest, item: SubjectRequest, action: str, data: dict[str, object]
) -> None:
    officer = staff_user(request)
    payload = _payload(action, data)
    reason = str(data["reason"])
    if decisions.needs_second_officer(item, action):
        decisions.propose(item, officer=officer, kind=action, reason=reason, payload=payload)
        messages.success(
            request, _("Proposed: another officer must approve it before it takes effect.")
        )
    else:
        decisions.decide(item, officer=officer, kind=action, reason=reason, payload=payload)
        messages.success(request, _decided_message(action, payload))


def _proposal_action(
    request: HttpRequest, item: SubjectRequest, action: str, data: dict[str, object]
) -> None:
    officer = staff_user(request)
    proposal = get_object_or_404(item.proposals, pk=data["proposal"])
    reason = str(data.get("reason", ""))
    if action == "approve_proposal":
        decisions.approve(proposal, officer=officer, reason=reason)
        messages.success(request, _decided_message(proposal.kind, proposal.payload))
    elif action == "send_back":
        decisions.reject(proposal, officer=officer, reason=reason)
        messages.success(request, _("The proposal was sent back with your reason."))
    else:
        decisions.withdraw(proposal, officer=officer, reason=reason)
        messages.success(request, _("The proposal is withdrawn."))


def _job_action(
    request: HttpRequest, item: SubjectRequest, action: str, data: dict[str, object]
) -> None:
    officer = staff_user(request)
    if action == "retry":
        fanout.retry_job(get_object_or_404(item.jobs, pk=data["job"]), officer=officer)
        messages.success(request, _("The job was started again."))
    elif action == "retry_failed":
        count = fanout.retry_failed(item, officer=officer)
        messages.success(
            request,
            ngettext(
                "%(count)d failed job was started again.",
                "%(count)d failed jobs were started again.",
                count,
            )
            % {"count": count},
        )
    elif action == "skip":
        job = get_object_or_404(item.jobs, pk=data["job"])
        fanout.skip_job(job, officer=officer, reason=str(data.get("reason", "")))
        messages.success(request, _("The system was skipped; the reason is on record."))
    elif action == "notify_lift":
        fanout.notify_restriction_lift(item, officer=officer)
        messages.success(request, _("The requester was told that the restriction will be lifted."))
    elif action == "lift":
        fanout.lift_restriction(item, officer=officer)
        messages.success(request, _("The restriction is being lifted in every system."))
    elif action == "changes":
        changes = fanout.parse_changes(str(data["changes"]))
        fanout.set_rectification(item, officer=officer, changes=changes)
        messages.success(request, _("The corrections are being made."))
    elif action == "complete":
        from dsr.services.completion import complete

        complete(item, officer=officer)
        messages.success(request, _("The request is completed and the requester told."))
    elif action in ("release", "reissue"):
        from dsr.services import answers

        package = item.packages.filter(deleted_at__isnull=True).first()
        if package is None:
            raise services.RequestError(_("There is no answer package yet."))
        if action == "release":
            answers.release(package, officer=officer)
            messages.success(request, _("The answer was sent; the request is completed."))
        else:
            answers.reissue(package, officer=officer)
            messages.success(request, _("The download was renewed and the requester told."))
    elif action == "note":
        services.add_note(item, officer=officer, body=str(data["body"]))
        messages.success(request, _("The note is saved."))
    elif action == "assign":
        assignee = data["assignee"]
        services.assign(
            item, officer=officer, assignee=assignee if isinstance(assignee, User) else None
        )
        messages.success(request, _("The assignment is recorded."))
    elif action == "redact":
        from dsr.services import answers

        answers.redact(
            item,
            officer=officer,
            text=str(data["text"]),
            reason=str(data["reason"]),
            system=str(data["system"]),
        )
        messages.success(
            request, _("The text is redacted in every file; the package is being built again.")
        )
    elif action == "notice":
        notice = get_object_or_404(item.notices, pk=data["notice"])
        fanout.decide_notice(
            notice, officer=officer, notified=bool(data["notified"]), reason=str(data["reason"])
        )
        messages.success(request, _("The notification of the recipient is on record."))


CASE_ACTIONS = {
    "verify",
    "ask",
    "extend",
    "decide",
    "erasure",
    "refusal",
    "objection",
    "approve_proposal",
    "send_back",
    "withdraw_proposal",
    "retry",
    "retry_failed",
    "skip",
    "notify_lift",
    "lift",
    "notice",
    "changes",
    "release",
    "reissue",
    "complete",
    "redact",
    "assign",
    "note",
    "hold",
}


@require_POST
@staff_required
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    if action not in CASE_ACTIONS:
        raise Http404
    return _act(request, reference, action)


@staff_required
def case_file(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    item = _case(reference)
    file = get_object_or_404(item.files, pk=pk, deleted_at__isnull=True)
    audit.staff_viewed(item.pk, staff_user(request).pk, f"file:{file.pk}")
    response = HttpResponse(read_file(file), content_type=file.content_type)
    response["Content-Disposition"] = f'inline; filename="{item.reference}-{file.kind}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def case_audit(request: HttpRequest, reference: str) -> HttpResponse:
    """The request's audit log entries with their hashes, as evidence (privacy admins only)."""
    from django.core.exceptions import PermissionDenied
    from django.http import JsonResponse

    officer = staff_user(request)
    if not officer.has_perm("accounts.configure_portal"):
        raise PermissionDenied(_("Only a privacy admin can export the audit log."))
    item = _case(reference)
    response = JsonResponse(
        {"reference": item.reference, "entries": audit.export(item.pk, actor_id=officer.pk)}
    )
    response["Content-Disposition"] = f'attachment; filename="{item.reference}-audit.json"'
    return response


@staff_required
def manual_intake(request: HttpRequest) -> HttpResponse:
    controller = get_controller()
    form = ManualIntakeForm(request.POST or None, time_zone=controller.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        intake = services.Intake(
            rights={Right(data["right"]): {"as_received": data["details"].strip()}},
            subject=services.SubjectDetails(
                email=data["email"],
                name=data["name"],
                phone=data["phone"],
                customer_number=data["customer_number"],
                postal_address=data["postal_address"],
            ),
            language=data["language"],
            channel=data["channel"],
            received_at=data["received_at"],
            extra={"send_verification": data["send_verification"]},
        )
        try:
            item = services.submit_request(intake=intake, entered_by=staff_user(request))
        except services.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Request %(reference)s was recorded.") % {"reference": item.reference}
            )
            return redirect("staff:case", item.reference)
    return render(request, "staff/manual_intake.html", {"form": form, "controller": controller})
