"""The privacy admins' API keys page: create a key (shown once), see what each may do and when
it was last used, revoke it. The Django admin does the same; this one sits with the staff pages."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import staff_required, staff_user
from accounts.models import User
from dsr.core.errors import RequestError
from dsr.models import ApiKey, Scope
from dsr.services import api_keys


class NewKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    rate = forms.CharField(
        label=gettext_lazy("Rate limit (count/seconds, empty: the default)"),
        max_length=32,
        required=False,
    )


def _admin(request: HttpRequest) -> User:
    user = staff_user(request)
    if not user.has_perm("accounts.configure_portal"):
        raise PermissionDenied(_("Only a privacy admin can manage API keys."))
    return user


@staff_required
def key_list(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = NewKeyForm(request.POST or None)
    token = ""
    if request.method == "POST" and form.is_valid():
        try:
            created = api_keys.create_key(
                name=form.cleaned_data["name"],
                scopes=list(form.cleaned_data["scopes"]),
                rate=form.cleaned_data["rate"].strip(),
                created_by=admin,
            )
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            token, form = created.token, NewKeyForm()
    response = render(
        request,
        "staff/api_keys.html",
        {"form": form, "token": token, "keys": ApiKey.objects.select_related("created_by")},
    )
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    key = get_object_or_404(ApiKey, pk=pk)
    api_keys.revoke_key(key)
    messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": key.prefix})
    return redirect("staff:api_keys")
