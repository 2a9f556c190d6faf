"""Staff pages (officer role + MFA): the start page and the development outbox."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_htmx.middleware import HtmxDetails

from accounts.access import staff_required
from dsr.core.controller import get_controller
from dsr.models import OutboxMessage


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/dashboard.html",
        {"controller": get_controller(), "outbox_count": OutboxMessage.objects.count()},
    )


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@staff_required
def outbox(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(OutboxMessage.objects.all(), 25).get_page(request.GET.get("page"))
    template = "staff/_outbox_table.html" if request.htmx else "staff/outbox.html"
    return render(request, template, {"page": page})


@staff_required
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, pk=pk)
    return render(request, "staff/outbox_message.html", {"message": message})
