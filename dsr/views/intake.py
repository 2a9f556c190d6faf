"""The data subject's journey: choose rights, fill in their form, confirm the e-mail address."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dsr.core import filing_stamp, ratelimit
from dsr.core.challenges import Outcome, find_by_token
from dsr.core.controller import get_controller
from dsr.core.errors import RequestError
from dsr.core.filing_stamp import Stamp
from dsr.core.register import offered, offered_rights
from dsr.core.tokens import status_token
from dsr.forms import CodeForm, Filing, RequesterForm
from dsr.models import AgentAuthority, Status, SubjectRequest
from dsr.rights import RIGHTS, Right
from dsr.services import verification
from dsr.services.intake import AgentDetails, Intake, SubjectDetails, submit_request
from dsr.views.access import grant_status_access, in_request_language

PENDING = "dsr_pending_request"


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def too_many_at(request: HttpRequest, frees_at: datetime) -> HttpResponse:
    """The limit page, saying when the window frees (in the controller's time zone)."""
    return render(request, "429.html", {"frees_at": _local(frees_at)}, status=429)


def _local(moment: datetime | None) -> str:
    """A moment in the controller's time zone and the page's language ("4. Dezember 2026
    18:42"); formatted here because a template would print it in the server's time zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, ZoneInfo(get_controller().time_zone))
    return formats.date_format(local, "DATETIME_FORMAT")


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "dsr/request_start.html", {"rights": offered_rights()})


def several(request: HttpRequest) -> HttpResponse:
    """The rights ticked on the start page, in one form: one request, one confirmation."""
    chosen = _rights(request.GET.getlist("right"))
    if not chosen:
        from django.contrib import messages

        messages.error(request, _("Please tick at least one request."))
        return redirect("dsr:start")
    if len(chosen) == 1:
        return redirect(intake_url(chosen[0]))
    return _file(request, chosen)


def _rights(values: list[str]) -> list[Right]:
    """The offered rights among ``values``, once each, in the start page's order."""
    wanted = set(values)
    return [info.right for info in offered_rights() if info.right.value in wanted]


def intake(request: HttpRequest, right: str) -> HttpResponse:
    try:
        chosen = Right(right)
    except ValueError as exc:
        raise Http404 from exc
    if not offered(chosen):
        raise Http404  # e.g. an Art. 22 review where nothing in the register decides by itself
    return _file(request, [chosen])


STAMP_ERRORS = {
    Stamp.TOO_FAST: gettext_lazy(
        "The form was sent very quickly after it opened. Please check it and send it again."
    ),
    Stamp.EXPIRED: gettext_lazy(
        "This form was open for a long time. Please check it and send it again."
    ),
    Stamp.USED: gettext_lazy(
        "This form has been sent already. To make another request, check it and send it again."
    ),
}


def _file(request: HttpRequest, rights: list[Right]) -> HttpResponse:
    account_email = request.user.email if request.user.is_authenticated else ""
    if request.method != "POST":
        filing = Filing(rights, account_email=account_email)
        return _form_page(request, filing, filing_stamp.issue())
    filing = Filing(rights, request.POST, request.FILES, account_email=account_email)
    stamp = request.POST.get("stamp", "")
    ip = ratelimit.client_ip(request.META)
    valid = filing.is_valid()
    problem = filing_stamp.check(stamp)
    if not valid or problem != Stamp.OK:
        # Only filed requests use up the filing allowance: a person correcting a form is not
        # held back by their own mistakes, and invalid posts have their own, higher limit.
        if problem not in (Stamp.OK, Stamp.TOO_FAST):
            stamp = filing_stamp.issue()  # a fresh form: the person sends it again
        if valid:
            filing.add_error(str(STAMP_ERRORS[problem]))
        verdict = ratelimit.hit("intake-invalid-ip", ip, settings.DSR_RATE_INTAKE_INVALID_PER_IP)
        if not verdict.allowed:
            return _form_page(request, filing, stamp, limited=verdict.frees_at)
        return _form_page(request, filing, stamp)
    verdict = ratelimit.hit("intake-ip", ip, settings.DSR_RATE_INTAKE_PER_IP)
    email = filing.cleaned_data.get("agent_email") or filing.cleaned_data.get("email", "")
    if verdict.allowed and email:
        verdict = ratelimit.hit("intake-email", email, settings.DSR_RATE_INTAKE_PER_EMAIL)
    if not verdict.allowed:
        return _form_page(request, filing, stamp, limited=verdict.frees_at)
    if not filing_stamp.use(stamp):
        filing.add_error(str(STAMP_ERRORS[Stamp.USED]))
        return _form_page(request, filing, filing_stamp.issue())
    try:
        subject_request = submit_request(intake=_intake(filing), account=_account(request))
    except RequestError as exc:
        filing.add_error(str(exc))
        return _form_page(request, filing, filing_stamp.issue())
    request.session[PENDING] = subject_request.pk
    if subject_request.status == Status.VERIFIED:
        grant_status_access(request, subject_request)
    return redirect("dsr:sent")


def _form_page(
    request: HttpRequest, filing: Filing, stamp: str, *, limited: datetime | None = None
) -> HttpResponse:
    """The form, with what was typed; refused by a limit (429), it says from when it may go."""
    return render(
        request,
        "dsr/request_form.html",
        {
            "form": filing,
            "stamp": stamp,
            "several": len(filing.rights) > 1,
            "info": RIGHTS[filing.rights[0]],
            "sections": [(RIGHTS[r], filing.right_fields(r)) for r in filing.rights],
            "requester_fields": filing.requester_fields(),
            "agent_authorities": AgentAuthority.choices,
            "limited_until": _local(limited),
        },
        status=429 if limited else 200,
    )


def _account(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _intake(filing: Filing) -> Intake:
    data = filing.cleaned_data
    agent = None
    if data["requester"] == RequesterForm.AGENT:
        agent = AgentDetails(
            name=data["agent_name"], email=data["agent_email"], authority=data["agent_authority"]
        )
    return Intake(
        rights=filing.details(),
        subject=SubjectDetails(
            email=data.get("email") or "",
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            customer_number=data.get("customer_number", ""),
            postal_address=data.get("postal_address", ""),
        ),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        agent=agent,
        evidence=data.get("evidence") if agent else None,
        matter=data.get("matter", ""),
    )


def _pending(request: HttpRequest) -> SubjectRequest | None:
    pk = request.session.get(PENDING)
    return SubjectRequest.objects.filter(pk=pk).first() if pk else None


def sent(request: HttpRequest) -> HttpResponse:
    """'Check your e-mail': the same page whatever the address, so it reveals nothing."""
    pending = _pending(request)
    if pending is None:
        return redirect("dsr:start")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.hit(
            "codes-ip", ratelimit.client_ip(request.META), settings.DSR_RATE_CODES_PER_IP
        )
        if not verdict.allowed:
            return too_many_at(request, verdict.frees_at)
        outcome = verification.verify_with_code(pending, form.cleaned_data["code"])
        if outcome == Outcome.OK:
            grant_status_access(request, pending)
            return redirect("dsr:status", status_token(pending))
        form.add_error("code", code_error(outcome))
    pending.refresh_from_db()
    return render(request, "dsr/request_sent.html", {"pending": pending, "form": form})


def code_error(outcome: Outcome) -> str:
    if outcome == Outcome.LOCKED:
        return _("Too many wrong codes. Please ask for a new code.")
    if outcome == Outcome.EXPIRED:
        return _("This code has expired. Please ask for a new code.")
    if outcome == Outcome.NONE:
        return _("There is no code to enter for this request any more.")
    return _("That code is not right. Please check the e-mail and try again.")


@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    from django.contrib import messages

    pending = _pending(request)
    if pending is None:
        return redirect("dsr:start")
    verdict = ratelimit.hit(
        "codes-ip", ratelimit.client_ip(request.META), settings.DSR_RATE_CODES_PER_IP
    )
    if not verdict.allowed:
        return too_many_at(request, verdict.frees_at)
    try:
        wait = verification.resend_verification(pending)
    except RequestError as exc:
        messages.error(request, str(exc))
        return redirect("dsr:sent")
    announce_code(request, wait, _("We have sent you a new code."))
    return redirect("dsr:sent")


def announce_code(request: HttpRequest, wait: int, sent: str) -> None:
    """Tell the visitor a code is on its way, or how long to wait for the next one."""
    from django.contrib import messages

    if wait:
        messages.warning(
            request,
            _("Please wait %(seconds)d seconds before asking for another code.")
            % {"seconds": wait},
        )
    else:
        messages.success(request, sent)


def verify_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    pending = find_by_token(token, "verify")
    if pending is not None:
        in_request_language(request, pending.request)
    if request.method != "POST":
        return render(request, "dsr/verify_link.html", {"token": token})
    outcome, subject_request = verification.verify_with_link(token)
    if outcome == Outcome.OK and subject_request is not None:
        grant_status_access(request, subject_request)
        return redirect("dsr:status", status_token(subject_request))
    return render(request, "dsr/link_invalid.html", {"outcome": outcome}, status=410)


def confirm_agent(request: HttpRequest, token: str) -> HttpResponse:
    challenge = find_by_token(token, "confirm_agent")
    if challenge is None:
        return render(request, "dsr/link_invalid.html", {"outcome": Outcome.NONE}, status=410)
    in_request_language(request, challenge.request)
    if request.method != "POST":
        return render(
            request, "dsr/confirm_agent.html", {"token": token, "pending": challenge.request}
        )
    confirmed = request.POST.get("decision") == "confirm"
    outcome, _subject_request = verification.confirm_agent(token, confirmed=confirmed)
    if outcome != Outcome.OK:
        return render(request, "dsr/link_invalid.html", {"outcome": outcome}, status=410)
    return render(request, "dsr/agent_decided.html", {"confirmed": confirmed})


def intake_url(right: Right) -> str:
    return reverse("dsr:intake", args=[right.value])
