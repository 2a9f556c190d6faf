"""Staff pages for one request: the case, its package, files and audit log; manual intake."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import staff_required, staff_user
from dsr.core import audit
from dsr.core.controller import competent_authority, get_controller
from dsr.core.errors import RequestError
from dsr.core.files import FileRefused, read_file
from dsr.exports import portability
from dsr.forms import detail_rows
from dsr.models import OtherController, SubjectRequest, Transmission
from dsr.rights import Right
from dsr.selectors import case
from dsr.services import (
    answers,
    forwarding,
    notices,
    notifications,
    publication,
)
from dsr.services.intake import Intake, SubjectDetails, submit_request
from dsr.staff_forms import (
    AskForm,
    AssignForm,
    ChangesForm,
    DecideIdForm,
    DecisionReviewForm,
    DeliveryForm,
    DoneByHandForm,
    ErasureDecisionForm,
    ErasureGoAheadForm,
    EvidenceForm,
    ExtendForm,
    FeeForm,
    FeePaidForm,
    ForwardForm,
    JobForm,
    LegalHoldForm,
    ManualIntakeForm,
    MatterForm,
    NoteForm,
    NoticeForm,
    ObjectionDecisionForm,
    ProposalForm,
    RedactForm,
    RedactionForm,
    RefusalForm,
    SendBackForm,
    SkipForm,
    TransmissionNotFeasibleForm,
    VerifyForm,
)
from dsr.views.case_actions import (
    ACTIONS,
    forward_form_kwargs,
    perform,
    redact_form_kwargs,
    review_form_kwargs,
)


def _case(reference: str) -> SubjectRequest:
    return get_object_or_404(SubjectRequest, reference=reference)


def _proposal_row(entry: dict[str, Any]) -> dict[str, Any]:
    pk = entry["proposal"].pk
    return {
        **entry,
        "approve_form": ProposalForm(row=pk, action="approve_proposal"),
        "send_back_form": SendBackForm(row=pk, action="send_back"),
        "withdraw_form": ProposalForm(row=pk, action="withdraw_proposal"),
    }


def _row_forms(page: dict[str, Any]) -> dict[str, Any]:
    """The rows of the case page, each with its own forms (their ids carry the row)."""
    return {
        "proposals": [_proposal_row(entry) for entry in page["proposals"]],
        "job_rows": [
            {
                "job": job,
                "retry_form": JobForm(row=job.pk, action="retry"),
                "skip_form": SkipForm(row=job.pk, action="skip"),
                "by_hand_form": DoneByHandForm(row=job.pk, action="done_by_hand"),
                "explanation": page["job_explanations"].get(job.pk, ""),
            }
            for job in page["jobs"]
        ],
        "delivery_rows": [
            {
                "pending": pending,
                "form": DeliveryForm(row=pending.delivery.pk, action="retry_delivery"),
            }
            for pending in page["deliveries"]
        ],
        "notice_rows": [
            {
                "notice": notice,
                "form": NoticeForm(row=notice.pk, action="notice"),
                "text": notices.notice_text(notice) if notice.status == "pending" else "",
            }
            for notice in page["notices"]
        ],
        "publication_rows": [
            {
                "notice": notice,
                "form": NoticeForm(row=notice.pk, action="publication_notice"),
                "text": publication.notice_text(notice) if notice.status == "pending" else "",
            }
            for notice in page["publication_notices"]
        ],
        "file_rows": [
            {
                "file": file,
                "decide_form": DecideIdForm(row=file.pk, action="decide"),
                "evidence_form": EvidenceForm(row=file.pk, action="evidence")
                if page["agent"] and file.pk in page["agent"].undecided
                else None,
            }
            for file in page["files"]
        ],
    }


@staff_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = _case(reference)
    officer = staff_user(request)
    audit.staff_viewed(item.pk, officer.pk, "case")
    notifications.mark_answers_read(item, officer=officer)
    page = case.case_page(item, officer=officer, language=request.LANGUAGE_CODE)
    return render(
        request,
        "staff/case_detail.html",
        {
            **page,
            **_row_forms(page),
            "rights": [
                (r.get_right_display(), detail_rows(r.right, r.details))
                for r in item.requested_rights.all()
            ],
            # Named in its letters as the competent supervisory authority (one per request).
            "letter_authority": competent_authority(item),
            # Offered where some matters have an authority of their own (as on the form).
            "matter_form": MatterForm(
                initial={
                    "matter": page["matter_suggestion"].matter
                    if page["matter_suggestion"]
                    else item.matter
                },
                auto_id="id_matter_%s",
            )
            if get_controller().authorities.exclude(matter="").exists()
            else None,
            "note_form": NoteForm(),
            "verify_form": VerifyForm(auto_id="id_verify_%s"),
            "assign_form": AssignForm(initial={"assignee": item.assignee_id}),
            "ask_form": AskForm(),
            "extend_form": ExtendForm(),
            "hold_form": LegalHoldForm(auto_id="id_hold_%s", on_hold=item.legal_hold),
            "changes_form": ChangesForm(),
            "erasure_form": ErasureDecisionForm(),
            "go_ahead_form": ErasureGoAheadForm(),
            "refusal_form": RefusalForm(),
            "objection_form": ObjectionDecisionForm(),
            "review_form": DecisionReviewForm(**review_form_kwargs(item)),
            "fee_form": FeeForm(),
            "fee_paid_form": FeePaidForm(),
            # What the portability answer leaves out and why, as the person reads it.
            "left_out": portability.explained(
                page["package"].manifest.get("excluded", []) if page["package"] else [],
                request.LANGUAGE_CODE,
            ),
            "transmission": Transmission.objects.filter(request=item).first(),
            "not_feasible_form": TransmissionNotFeasibleForm(auto_id="id_transmission_%s"),
            "forwardings": item.forwardings.select_related("party"),
            "forward_suggestions": forwarding.suggestions(item),
            "forward_form": ForwardForm(auto_id="id_forward_%s", **forward_form_kwargs(item))
            if OtherController.objects.filter(active=True).exists()
            else None,
        },
    )


@staff_required
def case_package(request: HttpRequest, reference: str) -> HttpResponse:
    """What the answer holds, file by file as it will be sent, and the redactions made."""
    item = _case(reference)
    audit.staff_viewed(item.pk, staff_user(request).pk, "package")
    package = item.packages.filter(deleted_at__isnull=True).first()
    try:
        files = answers.preview(package) if package else []
    except FileRefused as exc:
        messages.error(request, str(exc))
        files = []
    return render(
        request,
        "staff/case_package.html",
        {
            "item": item,
            "package": package,
            "files": files,
            "rebuilding": package is None and item.packages.exists() and item.is_open,
            "redactions": [
                {
                    "redaction": redaction,
                    "form": RedactionForm(row=redaction.pk, action="withdraw_redaction"),
                }
                for redaction in item.redactions.select_related("officer")
            ],
            "form": RedactForm(**redact_form_kwargs(item)),
        },
    )


@staff_required
def case_report(request: HttpRequest, reference: str) -> HttpResponse:
    """``report.pdf`` of the answer package that would be sent, as the requester will get it
    (the preview of "Send the answer" links here)."""
    item = _case(reference)
    package = item.packages.filter(deleted_at__isnull=True).first()
    if package is None:
        raise Http404
    audit.staff_viewed(item.pk, staff_user(request).pk, "report")
    try:
        report = answers.report_pdf(package)
    except FileRefused as exc:
        return render(request, "dsr/file_refused.html", {"message": str(exc)}, status=409)
    response = HttpResponse(report, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.reference}-report.pdf"'
    return response


@require_POST
@staff_required
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    return perform(request, _case(reference), ACTIONS[action])


@staff_required
def case_file(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    item = _case(reference)
    file = get_object_or_404(item.files, pk=pk, deleted_at__isnull=True)
    audit.staff_viewed(item.pk, staff_user(request).pk, f"file:{file.pk}")
    try:
        content = read_file(file)
    except FileRefused as exc:
        return render(request, "dsr/file_refused.html", {"message": str(exc)}, status=409)
    response = HttpResponse(content, content_type=file.content_type)
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
        filed = Intake(
            rights={Right(data["right"]): {"as_received": data["details"].strip()}},
            subject=SubjectDetails(
                email=data["email"],
                name=data["name"],
                phone=data["phone"],
                customer_number=data["customer_number"],
                postal_address=data["postal_address"],
            ),
            language=data["language"],
            channel=data["channel"],
            received_at=data["received_at"],
            matter=data["matter"],
            extra={"send_verification": data["send_verification"]},
        )
        try:
            item = submit_request(intake=filed, entered_by=staff_user(request))
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Request %(reference)s was recorded.") % {"reference": item.reference}
            )
            return redirect("staff:case", item.reference)
    return render(request, "staff/manual_intake.html", {"form": form, "controller": controller})
