"""The data subject's journey: choose a right, fill in its form, confirm the e-mail address."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dsr.core import ratelimit
from dsr.core.challenges import Outcome, find_by_token
from dsr.core.errors import RequestError
from dsr.core.register import offered, offered_rights
from dsr.core.tokens import status_token
from dsr.forms import FORMS, REQUESTER_FIELDS, CodeForm, RequesterForm
from dsr.models import AgentAuthority, Status, SubjectRequest
from dsr.rights import RIGHTS, Right
from dsr.services import verification
from dsr.services.intake import AgentDetails, Intake, SubjectDetails, submit_request
from dsr.views.access import grant_status_access, in_request_language

PENDING = "dsr_pending_request"


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "429.html", status=429)


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "dsr/request_start.html", {"rights": offered_rights()})


def intake(request: HttpRequest, right: str) -> HttpResponse:
    try:
        chosen = Right(right)
    except ValueError as exc:
        raise Http404 from exc
    if not offered(chosen):
        raise Http404  # e.g. an Art. 22 review where nothing in the register decides by itself
    form_class = FORMS[chosen]
    account_email = request.user.email if request.user.is_authenticated else ""
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, account_email=account_email)
        ip = ratelimit.client_ip(request.META)
        # Only filed requests use up the filing allowance: a person correcting a form is not
        # held back by their own mistakes, and invalid posts have their own, higher limit.
        if not form.is_valid():
            if not ratelimit.allow(
                "intake-invalid-ip", ip, settings.DSR_RATE_INTAKE_INVALID_PER_IP
            ):
                return too_many(request)
        else:
            if not ratelimit.allow("intake-ip", ip, settings.DSR_RATE_INTAKE_PER_IP):
                return too_many(request)
            email = form.cleaned_data.get("agent_email") or form.cleaned_data.get("email", "")
            if email and not ratelimit.allow(
                "intake-email", email, settings.DSR_RATE_INTAKE_PER_EMAIL
            ):
                return too_many(request)
            try:
                subject_request = submit_request(
                    intake=_intake(form, chosen), account=_account(request)
                )
            except RequestError as exc:
                form.add_error(None, str(exc))
            else:
                request.session[PENDING] = subject_request.pk
                if subject_request.status == Status.VERIFIED:
                    grant_status_access(request, subject_request)
                return redirect("dsr:sent")
    else:
        form = form_class(account_email=account_email)
    return render(
        request,
        "dsr/request_form.html",
        {
            "form": form,
            "info": RIGHTS[chosen],
            "requester_fields": [form[name] for name in REQUESTER_FIELDS if name in form.fields],
            "right_fields": [form[n] for n in form.fields if n not in REQUESTER_FIELDS],
            "agent_authorities": AgentAuthority.choices,
        },
    )


def _account(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _intake(form: RequesterForm, right: Right) -> Intake:
    data = form.cleaned_data
    agent = None
    if data["requester"] == RequesterForm.AGENT:
        agent = AgentDetails(
            name=data["agent_name"], email=data["agent_email"], authority=data["agent_authority"]
        )
    return Intake(
        rights={right: form.right_details()},
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
        if not ratelimit.allow(
            "codes-ip", ratelimit.client_ip(request.META), settings.DSR_RATE_CODES_PER_IP
        ):
            return too_many(request)
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
    if not ratelimit.allow(
        "codes-ip", ratelimit.client_ip(request.META), settings.DSR_RATE_CODES_PER_IP
    ):
        return too_many(request)
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
