"""The requester's status page: steps, due date, messages, answering questions, withdrawing."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dsr.core import ratelimit
from dsr.core.challenges import Outcome
from dsr.core.clock import clock_for
from dsr.core.errors import RequestError
from dsr.core.events import closing_event
from dsr.core.files import FileRefused
from dsr.core.mail import letter_pdf
from dsr.core.tokens import (
    address_from_request_list_token,
    request_from_status_token,
    status_link_expired,
    status_token,
)
from dsr.exports.package import read_package
from dsr.forms import CodeForm, ReplyForm, RequestListForm, detail_rows
from dsr.models import (
    AnswerPackage,
    EventKind,
    MessageDirection,
    RequestEvent,
    SentLetter,
    Status,
    SubjectRequest,
    Transmission,
)
from dsr.rights import RIGHTS, Right
from dsr.services import (
    answers,
    questions,
    request_list,
    status_access,
    transmission,
    withdrawal,
)
from dsr.views.access import grant_status_access, in_request_language, may_see
from dsr.views.intake import announce_code, code_error, too_many_at

# What the requester sees of the history: their own steps, not the officers' internals.
VISIBLE_EVENTS = {
    EventKind.SUBMITTED,
    EventKind.LINKED,
    EventKind.ANSWERED_TOGETHER,
    EventKind.VERIFICATION_SENT,
    EventKind.EMAIL_CONFIRMED,
    EventKind.VERIFIED,
    EventKind.SUBJECT_CONFIRMED,
    EventKind.EVIDENCE_UPLOADED,
    EventKind.EVIDENCE_ACCEPTED,
    EventKind.EVIDENCE_REJECTED,
    EventKind.INFO_REQUESTED,
    EventKind.INFO_RECEIVED,
    EventKind.ID_CHECKED,
    EventKind.EXTENDED,
    EventKind.WITHDRAWN,
    EventKind.EXPIRED,
    EventKind.REFUSED,
    EventKind.PARTLY_REFUSED,
    EventKind.ANSWER_RELEASED,
    EventKind.COMPLETED,
    EventKind.FEE_REQUESTED,
    EventKind.FEE_PAID,
    EventKind.TRANSMISSION_CONFIRMED,
    EventKind.TRANSMISSION_SENT,
    EventKind.TRANSMISSION_NOT_FEASIBLE,
    EventKind.FORWARDED,
}


def _load(request: HttpRequest, token: str) -> SubjectRequest | None:
    """The request a status link names, unless the link has expired for this visitor (the
    request's account holder, signed in, still gets in: the account proves who they are)."""
    subject_request = request_from_status_token(token)
    if subject_request is None or not status_link_expired(subject_request):
        return subject_request
    user = request.user
    if user.is_authenticated and subject_request.account_id == user.pk:
        return subject_request
    return None


def _not_open(request: HttpRequest, token: str) -> HttpResponse:
    if request_from_status_token(token) is not None:  # genuine, but expired
        return render(
            request,
            "dsr/status_link_expired.html",
            {"days": settings.DSR_STATUS_LINK_DAYS},
            status=410,
        )
    return render(request, "dsr/link_invalid.html", {"outcome": Outcome.NONE}, status=404)


def status(request: HttpRequest, token: str) -> HttpResponse:
    subject_request = _load(request, token)
    if subject_request is None:
        return _not_open(request, token)
    in_request_language(request, subject_request)
    if not may_see(request, subject_request):
        return _unlock(request, token, subject_request)
    clock = clock_for(subject_request)
    open_question = subject_request.messages.filter(
        awaits_answer=True, answered_at__isnull=True
    ).first()
    return render(
        request,
        "dsr/status.html",
        {
            "token": token,
            "item": subject_request,
            # A closed request has no due date any more: the page says when it closed.
            "closed": None
            if subject_request.is_open
            else closing_event(subject_request.events.order_by("at", "pk")),
            "rights": [RIGHTS[Right(r)] for r in subject_request.rights],
            "asked": [
                (RIGHTS[Right(r.right)].right.label, detail_rows(r.right, r.details))
                for r in subject_request.requested_rights.all()
            ],
            "events": _steps(subject_request),
            # In the page's language: the request's, unless the person chose another.
            "explanation": clock.explain(translation.get_language() or subject_request.language),
            "messages_list": subject_request.messages.all(),
            "open_question": open_question,
            "reply_form": ReplyForm() if open_question else None,
            "Status": Status,
            "MessageDirection": MessageDirection,
            "package": subject_request.packages.filter(released_at__isnull=False).first(),
            "transmission": transmission.with_delivery(
                Transmission.objects.filter(request=subject_request).first()
            ),
        },
    )


# The steps whose letter the person can open from the timeline: the template it was sent with.
STEP_LETTERS = {
    EventKind.WITHDRAWN: "withdrawn",
    EventKind.REFUSED: "refused",
    EventKind.PARTLY_REFUSED: "refused",
    EventKind.EXPIRED: "expired",
    EventKind.COMPLETED: "completed",
}


def _steps(subject_request: SubjectRequest) -> list[tuple[RequestEvent, SentLetter | None]]:
    """The visible events, each closing step with the letter that told the person about it
    (the first one of its kind sent at or after the step; none while it is still owed)."""
    letters = [
        letter
        for letter in subject_request.letters.all()
        if letter.template in STEP_LETTERS.values() and letter.body
    ]
    steps = []
    for event in subject_request.events.all():
        if event.kind not in VISIBLE_EVENTS:
            continue
        template = STEP_LETTERS.get(EventKind(event.kind))
        letter = next(
            (x for x in letters if x.template == template and x.sent_at >= event.at), None
        )
        steps.append((event, letter))
    return steps


def letter(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A letter the person was sent about a step (refusal, withdrawal, ...), to read again or
    keep as a PDF; only for whoever may see the request."""
    subject_request = _load(request, token)
    if subject_request is None:
        return _not_open(request, token)
    if not may_see(request, subject_request):
        return redirect("dsr:status", token)
    sent = SentLetter.objects.filter(
        pk=pk, request=subject_request, template__in=set(STEP_LETTERS.values())
    ).first()
    if sent is None or not sent.body:
        return render(request, "dsr/link_invalid.html", {"outcome": Outcome.NONE}, status=404)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(
            letter_pdf(sent.subject, sent.body, subject_request.language),
            content_type="application/pdf",
        )
        name = f"{subject_request.reference}-{sent.template}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request, "dsr/status_letter.html", {"token": token, "item": subject_request, "sent": sent}
    )


def _unlock(request: HttpRequest, token: str, subject_request: SubjectRequest) -> HttpResponse:
    """The link alone is not enough: a code goes to the requester's address first."""
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        verdict = ratelimit.hit(
            "codes-ip", ratelimit.client_ip(request.META), settings.DSR_RATE_CODES_PER_IP
        )
        if not verdict.allowed:
            return too_many_at(request, verdict.frees_at)
        if "send" in request.POST:
            try:
                wait = status_access.send_status_code(subject_request)
            except RequestError as exc:
                messages.error(request, str(exc))
                return redirect("dsr:status", token)
            announce_code(request, wait, _("We have sent a code to your e-mail address."))
            return redirect("dsr:status", token)
        if form.is_valid():
            outcome = status_access.check_status_code(subject_request, form.cleaned_data["code"])
            if outcome == Outcome.OK:
                grant_status_access(request, subject_request)
                return redirect("dsr:status", token)
            if outcome == Outcome.LOCKED:
                form.add_error(
                    "code",
                    _(
                        "Too many wrong codes. Please open the link in the e-mail with the "
                        "code, or ask for a new e-mail."
                    ),
                )
            else:
                form.add_error("code", code_error(outcome))
    return render(request, "dsr/status_unlock.html", {"form": form, "token": token})


def open_status(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the code e-mail. GET shows a button (mail scanners follow links); POST
    opens the status page, however many wrong codes someone else typed."""
    if request.method != "POST":
        return render(request, "dsr/open_status.html", {"token": token})
    outcome, subject_request = status_access.open_with_link(token)
    if outcome != Outcome.OK or subject_request is None:
        return render(request, "dsr/link_invalid.html", {"outcome": outcome}, status=410)
    grant_status_access(request, subject_request)
    return redirect("dsr:status", status_token(subject_request))


@require_POST
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    subject_request = _load(request, token)
    if subject_request is None or not may_see(request, subject_request):
        return redirect("dsr:status", token)
    in_request_language(request, subject_request)
    try:
        withdrawal.withdraw(subject_request)
    except RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your request has been withdrawn."))
    return redirect("dsr:status", token)


@require_POST
def reply(request: HttpRequest, token: str) -> HttpResponse:
    subject_request = _load(request, token)
    if subject_request is None or not may_see(request, subject_request):
        return redirect("dsr:status", token)
    in_request_language(request, subject_request)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            questions.answer_information(
                subject_request,
                body=form.cleaned_data["body"],
                upload=form.cleaned_data.get("attachment"),
                document_type=form.cleaned_data.get("document_type", ""),
            )
        except RequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you. We have received your answer."))
        return redirect("dsr:status", token)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("dsr:status", token)


def download(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """The answer package, decrypted on the way out; only for whoever may see the request."""
    from django.http import StreamingHttpResponse

    subject_request = _load(request, token)
    if subject_request is None:
        return _not_open(request, token)
    in_request_language(request, subject_request)
    if not may_see(request, subject_request):
        return redirect("dsr:status", token)  # the e-mailed code first
    package = AnswerPackage.objects.filter(pk=pk, request=subject_request).first()
    if package is None or not package.available:
        return render(request, "dsr/package_gone.html", {"token": token}, status=410)
    try:
        content = read_package(package)
    except FileRefused as exc:
        return render(
            request, "dsr/file_refused.html", {"message": str(exc), "token": token}, status=409
        )
    answers.downloaded(package, subject_request)
    response = StreamingHttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{subject_request.reference}.zip"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    items = SubjectRequest.objects.filter(account_id=request.user.pk).order_by("-received_at")
    return render(
        request,
        "dsr/my_requests.html",
        {"items": [(item, status_token(item)) for item in items]},
    )


LIST_SESSION_KEY = "dsr_request_list"


def ask_for_list(request: HttpRequest) -> HttpResponse:
    """'E-mail me a link to all my requests': the same answer whether the address has
    requests or not, and the link only ever goes to the address itself."""
    form = RequestListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.hit(
            "request-list-ip",
            ratelimit.client_ip(request.META),
            settings.DSR_RATE_REQUEST_LIST_PER_IP,
        )
        if not verdict.allowed:
            return too_many_at(request, verdict.frees_at)
        request_list.send_list_link(email=form.cleaned_data["email"])
        return render(
            request, "dsr/request_list_sent.html", {"days": settings.DSR_REQUEST_LIST_LINK_DAYS}
        )
    return render(request, "dsr/request_list_ask.html", {"form": form})


def request_list_open(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link. GET shows a button (mail scanners follow links); POST opens the list
    and each listed request's status page for ``DSR_STATUS_ACCESS_HOURS``, as the code would:
    the link went to the address the answers go to."""
    address = address_from_request_list_token(token)
    if not address:
        form = RequestListForm()
        return render(
            request, "dsr/request_list_ask.html", {"form": form, "expired": True}, status=410
        )
    items = list(request_list.answered_at(address).prefetch_related("requested_rights"))
    if request.method == "POST":
        for item in items:
            grant_status_access(request, item)
        request.session[LIST_SESSION_KEY] = token
        return redirect("dsr:request_list_open", token)
    if request.session.get(LIST_SESSION_KEY) != token:
        return render(request, "dsr/request_list_open.html", {"token": token})
    rows = []
    for item in items:
        closed = None if item.is_open else closing_event(item.events.order_by("at", "pk"))
        rows.append(
            {
                "item": item,
                "rights": [RIGHTS[Right(r.right)].right.label for r in item.requested_rights.all()],
                "closed": closed,
                "token": None if status_link_expired(item) else status_token(item),
            }
        )
    return render(request, "dsr/request_list.html", {"rows": rows})
