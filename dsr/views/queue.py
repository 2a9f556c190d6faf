"""The officers' queue: every open request, filtered, sorted, paged; saved filters; bulk assign."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import staff_required, staff_user
from dsr.core.clock import today
from dsr.models import SavedFilter
from dsr.queue_forms import BulkAssignForm, QueueForm, SaveFilterForm, filter_query
from dsr.selectors import queue, staff
from dsr.services import assignment


@staff_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    officers = list(staff.staff_members())
    form = QueueForm(request.GET or None, officers=officers)
    form.is_valid()
    on = today()
    items = queue.open_requests(form.filters(), user_id=user.pk, on=on)
    page = Paginator(items, queue.PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    here = f"{reverse('staff:cases')}?{request.GET.urlencode()}"
    assign_form = BulkAssignForm(initial={"next": here}, requests=shown)
    rows = [
        {
            "item": item,
            "badge": queue.badge(item, on),
            "email": queue.mask_email(item.email),
            "name": queue.mask_name(item.name),
            "select": checkbox,
        }
        for item, checkbox in zip(shown, assign_form["ids"], strict=True)
    ]
    query = filter_query(request.GET)
    return render(
        request,
        "staff/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "saved_filters": SavedFilter.objects.filter(owner=user),
            "save_form": SaveFilterForm(initial={"query": query}),
            "assign_form": assign_form,
            "filtered": any(name != "sort" for name in QueryDict(query)),
        },
    )


def _back(request: HttpRequest, target: str) -> HttpResponse:
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect(target)
    return redirect("staff:cases")


@require_POST
@staff_required
def bulk_assign(request: HttpRequest) -> HttpResponse:
    officer = staff_user(request)
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request, request.POST.get("next", ""))
    assignee = form.cleaned_data["assignee"]
    count = assignment.assign_many(form.cleaned_data["ids"], officer=officer, assignee=assignee)
    if assignee is None:
        text = ngettext(
            "%(count)d request is now unassigned.", "%(count)d requests are now unassigned.", count
        ) % {"count": count}
    else:
        text = ngettext(
            "%(count)d request is assigned to %(officer)s.",
            "%(count)d requests are assigned to %(officer)s.",
            count,
        ) % {"count": count, "officer": assignee.email}
    messages.success(request, text)
    return _back(request, form.cleaned_data["next"])


@require_POST
@staff_required
def save_filter(request: HttpRequest) -> HttpResponse:
    form = SaveFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the filter a name."))
        return redirect("staff:cases")
    query = filter_query(QueryDict(form.cleaned_data["query"]), search=False)
    SavedFilter.objects.update_or_create(
        owner=staff_user(request), name=form.cleaned_data["name"], defaults={"query": query}
    )
    messages.success(request, _("The filter is saved."))
    return redirect(f"{reverse('staff:cases')}?{query}")


@require_POST
@staff_required
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(SavedFilter, pk=pk, owner=staff_user(request)).delete()
    messages.success(request, _("The filter is deleted."))
    return redirect("staff:cases")
