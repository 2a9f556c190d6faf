"""The form a system owner fills in to answer a manual task."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class ManualTaskForm(forms.Form):
    nothing_found = forms.BooleanField(
        label=_("The system holds no data about this person"), required=False
    )
    upload = forms.FileField(
        label=_("The data (CSV with a header row, JSON, or PDF)"),
        required=False,
        # Only a hint to the browser's file picker: the upload is read by its content.
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.json,.pdf,text/csv,application/json,application/pdf"}
        ),
    )
    changed = forms.IntegerField(
        label=_("Number of records changed"), required=False, min_value=0, initial=0
    )
    note = forms.CharField(
        label=_("Note for the privacy team"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        if action != "export":
            del self.fields["upload"]
        if action not in ("export", "locate"):
            del self.fields["nothing_found"]
        if action in ("export", "locate"):
            del self.fields["changed"]
