"""The queue's forms: the filters (GET), saving them, and bulk assignment."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from dsr.models import CLOSED_STATUSES, Status, SubjectRequest
from dsr.rights import Right
from dsr.selectors.queue import MAX_BULK, SORTS, Filters
from dsr.selectors.staff import staff_members

OPEN_STATUSES = [(value, label) for value, label in Status.choices if value not in CLOSED_STATUSES]
FILTER_FIELDS = (
    "q",
    "status",
    "right",
    "assignee",
    "due",
    "failed",
    "approval",
    "language",
    "sort",
)
# A row of filters: small labels, the page's grid places them (the form's field_template_name,
# read by dsr.form_rendering).
COMPACT = "forms/field_compact.html"


class QueueForm(forms.Form):
    field_template_name = COMPACT
    q = forms.CharField(
        label=_("Reference or e-mail address"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=OPEN_STATUSES,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    right = forms.ChoiceField(
        label=_("Right"), choices=[("", _("any right")), *Right.choices], required=False
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("any time")),
            ("overdue", _("overdue")),
            ("7", _("within 7 days")),
            ("14", _("within 14 days")),
            ("30", _("within 30 days")),
            ("paused", _("clock paused")),
        ],
    )
    failed = forms.BooleanField(label=_("Failed connector jobs"), required=False)
    approval = forms.BooleanField(label=_("Decisions to approve"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("any language")), *settings.LANGUAGES], required=False
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("due", _("due date, earliest first")),
            ("-due", _("due date, latest first")),
            ("-received", _("received, newest first")),
            ("received", _("received, oldest first")),
        ],
    )

    def __init__(self, *args: Any, officers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("anyone")),
            ("me", _("me")),
            ("none", _("nobody")),
            *[(str(user.pk), user.email) for user in officers],
        ]

    def filters(self) -> Filters:
        """What to show: an invalid field counts as "any" (the form shows the error)."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: value for name, value in data.items() if name not in self.errors}
        sort = valid.get("sort") or "due"
        return Filters(
            search=valid.get("q", ""),
            statuses=tuple(valid.get("status", ())),
            right=valid.get("right", ""),
            assignee=valid.get("assignee", ""),
            due=valid.get("due", ""),
            failed=bool(valid.get("failed")),
            approval=bool(valid.get("approval")),
            language=valid.get("language", ""),
            sort=sort if sort in SORTS else "due",
        )


def filter_query(query: QueryDict, *, search: bool = True) -> str:
    """The filter part of a query string (no page number, nothing unknown); without the search
    for saving (it can be a requester's address, and saved filters outlive requests)."""
    kept = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if name == "q" and not search:
            continue
        values = [value for value in query.getlist(name) if value]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


class SaveFilterForm(forms.Form):
    field_template_name = COMPACT
    name = forms.CharField(label=_("Name of the filter"), max_length=80)
    query = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)


class _Ids(forms.TypedMultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class BulkAssignForm(forms.Form):
    """Assign the selected requests: a checkbox per request of the page (``requests``)."""

    field_template_name = COMPACT
    # One checkbox in each row of the table, outside the <form id="bulk">: "form" ties them to it.
    ids = _Ids(coerce=int, widget=forms.CheckboxSelectMultiple(attrs={"form": "bulk"}))
    assignee = forms.ModelChoiceField(
        label=_("Assign the selected requests to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("nobody"),
    )
    next = forms.CharField(required=False, max_length=600, widget=forms.HiddenInput)

    def __init__(self, *args: Any, requests: Iterable[SubjectRequest] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [  # type: ignore[attr-defined]
            (request.pk, _("Select %(reference)s") % {"reference": request.reference})
            for request in requests
        ]
        self.fields["assignee"].queryset = staff_members()  # type: ignore[attr-defined]
        # Its own id: the case page's assignment form has an "assignee" too.
        self.fields["assignee"].widget.attrs["id"] = "bulk-assignee"
        self.fields["ids"].error_messages["required"] = _("Select at least one request.")

    def clean_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data["ids"]
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(count)d requests at a time."), params={"count": MAX_BULK}
            )
        return ids
