"""The officer's choice of staff notifications by e-mail."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from dsr.services.notifications import KINDS


class NotificationsForm(forms.Form):
    wanted = forms.MultipleChoiceField(
        label=_("E-mail me when"),
        choices=list(KINDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        off = set(user.notifications_off or [])
        kwargs.setdefault("initial", {"wanted": [kind for kind in KINDS if kind not in off]})
        super().__init__(*args, **kwargs)
