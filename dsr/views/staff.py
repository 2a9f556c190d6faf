"""Staff pages (officer role + MFA): the overview (a to-do list), the officer's notification
choices, and the development outbox."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from accounts.access import staff_required, staff_user
from dsr.core.clock import today
from dsr.core.controller import get_controller
from dsr.models import OutboxAttachment, OutboxMessage
from dsr.notification_forms import NotificationsForm
from dsr.selectors.todo import todo
from dsr.services import notifications


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "staff/dashboard.html",
        {
            "controller": get_controller(),
            "sections": {section.key: section for section in todo(user, today())},
            "notifications_form": NotificationsForm(user=user),
            "outbox_count": OutboxMessage.objects.count(),
        },
    )


@require_POST
@staff_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = NotificationsForm(request.POST, user=user)
    if form.is_valid():
        notifications.choose(user, wanted=form.cleaned_data["wanted"])
        messages.success(request, _("Your e-mail notifications were saved."))
    return redirect("staff:dashboard")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _attachments() -> "Prefetch[Any]":
    # The list needs names and sizes, never the files themselves.
    return Prefetch(
        "attachments",
        OutboxAttachment.objects.defer("content").annotate(size=Length("content")),
    )


@staff_required
def outbox(request: HtmxHttpRequest) -> HttpResponse:
    messages_ = OutboxMessage.objects.prefetch_related(_attachments())
    page = Paginator(messages_, 25).get_page(request.GET.get("page"))
    template = "staff/_outbox_table.html" if request.htmx else "staff/outbox.html"
    return render(request, template, {"page": page})


@staff_required
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage.objects.prefetch_related(_attachments()), pk=pk)
    return render(
        request,
        "staff/outbox_message.html",
        {"message": message, "attachments": message.attachments.all()},
    )


@staff_required
def outbox_attachment(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    found = get_object_or_404(OutboxAttachment, pk=attachment, message_id=pk)
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    name = found.filename.replace('"', "") or "attachment"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
