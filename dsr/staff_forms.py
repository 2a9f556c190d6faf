"""Forms the privacy officers fill in."""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from accounts.models import User
from connectors import registry
from dsr.models import (
    Channel,
    ExtensionFact,
    ExtensionGround,
    Matter,
    OtherController,
    QuestionPurpose,
    ReviewOutcome,
    Withholding,
)
from dsr.rights import Right
from dsr.selectors.staff import staff_members
from dsr.services.fees import BASES as FEE_BASES
from dsr.services.fees import CURRENCIES
from dsr.services.refusals import REFUSAL_GROUNDS, SUB_GROUNDS

TEXT = 5000
# Inline forms and filters: small label, the page places label and control (the form's
# field_template_name, read by dsr.form_rendering).
COMPACT = "forms/field_compact.html"
# A one-line input of a row's form: the label is for screen readers, the placeholder shows it.
INLINE = "forms/field_inline.html"


class RowForm(forms.Form):
    """A form the case page shows once per row (a proposal, a job, a notice, a document).

    ``row`` is the row's primary key: it fills the hidden field that names the row
    (``row_field``) and goes into every id with the name of the ``action`` the form posts to
    (``id_skip_12_reason``), so no id repeats on the page. The names posted stay the plain field
    names: the action builds the form from the POST without a row.
    """

    row_field: ClassVar[str]

    def __init__(self, *args: Any, row: int | None = None, action: str = "", **kwargs: Any) -> None:
        if row is not None:
            kwargs.setdefault("auto_id", f"id_{action or self.row_field}_{row}_%s")
            kwargs.setdefault("initial", {self.row_field: row})
        super().__init__(*args, **kwargs)


def one_line(
    label: StrOrPromise, *, required: bool = False, css: str = "form-control form-control-sm"
) -> forms.CharField:
    """A short text beside a row's buttons (INLINE): its label is also its placeholder."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT,
        widget=forms.TextInput(attrs={"class": css, "placeholder": label}),
    )


class ManualIntakeForm(forms.Form):
    right = forms.ChoiceField(label=_("Right"), choices=Right.choices)
    channel = forms.ChoiceField(
        label=_("Arrived by"),
        choices=[c for c in Channel.choices if c[0] not in (Channel.WEB, Channel.OPENDSR)],
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The real time it reached us (postmark does not count), local time."),
    )
    language = forms.ChoiceField(label=_("Language of the answer"), choices=settings.LANGUAGES)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Telephone"), required=False, max_length=40)
    customer_number = forms.CharField(label=_("Customer number"), required=False, max_length=64)
    postal_address = forms.CharField(
        label=_("Postal address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    matter = forms.ChoiceField(
        label=_("About"),
        required=False,
        choices=[("", _("anything else, or not stated")), *Matter.choices],
        help_text=_("Chooses the supervisory authority that the letters name as competent."),
    )
    details = forms.CharField(
        label=_("What the request asks for"),
        required=False,
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_verification = forms.BooleanField(
        label=_("Send a confirmation link to the e-mail address"), required=False, initial=True
    )

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean_received_at(self) -> datetime:
        value: datetime = self.cleaned_data["received_at"]
        # The officer types local time of the controller, not of the server.
        return value.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(self.time_zone))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(n) for n in ("email", "phone", "customer_number", "postal_address")):
            self.add_error(
                "email", _("Please give at least one way to identify and answer the person.")
            )
        if data.get("send_verification") and not data.get("email"):
            self.add_error("send_verification", _("A confirmation link needs an e-mail address."))
        return data


class VerifyForm(forms.Form):
    reason = forms.CharField(
        label=_("How was the identity verified?"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("Question to the requester"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    purpose = forms.ChoiceField(
        label=_("What the question is for"),
        choices=QuestionPurpose.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Only a doubt about the identity, the agent's authority, or which of a large "
            "quantity of information is meant stops the clock."
        ),
    )
    id_document = forms.BooleanField(label=_("Ask for an identity document"), required=False)
    reason = forms.CharField(
        label=_("Why is this needed?"),
        required=False,
        max_length=TEXT,
        help_text=_("Required for an identity document (e.g. special categories of data)."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("id_document") and not data.get("reason", "").strip():
            self.add_error(
                "reason", _("An identity document may only be asked for with a recorded reason.")
            )
        if data.get("id_document") and data.get("purpose") not in ("", None, "identity"):
            self.add_error(
                "id_document",
                _("An identity document may only be asked for when the identity is in doubt."),
            )
        return data


class DecideIdForm(RowForm):
    row_field = "file"
    file = forms.IntegerField(widget=forms.HiddenInput)
    accepted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Identity confirmed")), ("0", _("Identity not confirmed"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=TEXT)


class EvidenceForm(RowForm):
    """Accept an agent's evidence of authority, or say what is wrong with it."""

    row_field = "file"
    file = forms.IntegerField(widget=forms.HiddenInput)
    accepted = forms.TypedChoiceField(
        label=_("Decision on the evidence"),
        choices=[
            ("1", _("Accepted: it shows the authority to act for the person")),
            ("0", _("Not accepted: the agent is told what is wrong and may send new evidence")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (if not accepted, the agent reads it, in the request's language)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class JobForm(RowForm):
    """Start a job again."""

    row_field = "job"
    job = forms.IntegerField(widget=forms.HiddenInput)


class DeliveryForm(RowForm):
    """Try a failed e-mail or package again."""

    row_field = "delivery"
    delivery = forms.IntegerField(widget=forms.HiddenInput)


class SkipForm(JobForm):
    field_template_name = INLINE
    reason = one_line(_("Reason for skipping"), required=True)


class DoneByHandForm(JobForm):
    field_template_name = INLINE
    note = one_line(_("How it was done instead"), required=True)


class ChangesForm(forms.Form):
    changes = forms.CharField(
        label=_("Corrected values, one per line: field = value"),
        max_length=TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: contacts.phone = +49 221 1234567. Leave empty where the request "
            "only adds a supplementary statement."
        ),
    )


class NoticeForm(RowForm):
    """A recipient told, or not with the reason: ``notified`` is the name of the button."""

    row_field = "notice"
    field_template_name = INLINE
    notice = forms.IntegerField(widget=forms.HiddenInput)
    notified = forms.BooleanField(label=_("Notified"), required=False)
    reason = one_line(_("Why not"), css="form-control form-control-sm w-auto")


class NoteForm(forms.Form):
    field_template_name = COMPACT
    body = forms.CharField(
        label=_("Internal note (never shown to the requester)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm mb-2"}),
    )


class AssignForm(forms.Form):
    field_template_name = COMPACT
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("nobody"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_members()  # type: ignore[attr-defined]


class RedactForm(forms.Form):
    """Redact a text in every file, or in the files of one of the ``systems`` that took part."""

    text = forms.CharField(
        label=_("Text to redact"),
        max_length=200,
        help_text=_("For example another chat participant's name; matched in any case."),
    )
    system = forms.ChoiceField(label=_("System"), required=False)
    category = forms.ChoiceField(
        label=_("Why it is withheld"),
        choices=Withholding.choices,
        initial=Withholding.THIRD_PARTY,
        help_text=_(
            "The requester sees this category in place of the text, and the letter gives its "
            "legal ground with the right to complain."
        ),
    )
    reason = forms.CharField(
        label=_("Reason (kept in the case log)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, systems: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = registry.systems()
        self.fields["system"].choices = [  # type: ignore[attr-defined]
            ("", _("every system")),
            # By name: the officer knows "Salesforce (CRM)", not the alias in the configuration.
            *((system, names[system].name if system in names else system) for system in systems),
        ]


class RedactionForm(RowForm):
    """Withdraw a redaction before the answer is sent; the package is built again without it."""

    row_field = "redaction"
    field_template_name = INLINE
    redaction = forms.IntegerField(widget=forms.HiddenInput)
    reason = one_line(_("Why it is withdrawn"), required=True)


class ApproveForm(forms.Form):
    reason = forms.CharField(label=_("Note"), required=False, max_length=TEXT)


class ExtendForm(forms.Form):
    ground = forms.ChoiceField(
        label=_("Ground (Art. 12(3) GDPR)"),
        choices=ExtensionGround.choices,
        widget=forms.RadioSelect,
    )
    facts = forms.MultipleChoiceField(
        label=_("What makes it so"),
        choices=ExtensionFact.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    reasons = forms.CharField(
        label=_("Reasons for the extension (sent to the requester)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Complexity or the number of requests; effort alone is not a reason."),
    )


# --- Decisions (four eyes) --------------------------------------------------------------------


class _DecisionForm(forms.Form):
    """Several decision forms share the case page: their ids carry the form's name."""

    id_prefix = "decision"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ErasureDecisionForm(_DecisionForm):
    id_prefix = "erasure"
    reason = forms.CharField(
        label=_("Why the erasure may go ahead"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: identity verified, no exception beyond the tax records."),
    )


class ErasureGoAheadForm(_DecisionForm):
    id_prefix = "go_ahead"
    reason = forms.CharField(
        label=_("Why the erasure need not wait for the other requests"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For example: the person asked us in writing to erase first; the correction "
            "concerns data that the erasure removes."
        ),
    )


def _refusal_grounds() -> list[tuple[str, str]]:
    return [("", _("Choose the ground")), *REFUSAL_GROUNDS.items()]  # type: ignore[list-item]


class RefusalForm(_DecisionForm):
    id_prefix = "refusal"
    ground = forms.ChoiceField(label=_("Ground"), choices=_refusal_grounds)
    statute = forms.CharField(
        label=_("Provision that makes the exception"),
        required=False,
        max_length=200,
        help_text=_("Required for an exception, e.g. Art. 17(3)(b) GDPR, § 147 AO."),
    )
    sub_ground = forms.ChoiceField(
        label=_("What makes it manifestly unfounded or excessive"),
        required=False,
        choices=[
            ("", "—"),
            *list(
                {
                    key: label for options in SUB_GROUNDS.values() for key, label in options.items()
                }.items()
            ),
        ],
        help_text=_("Required for those two grounds; effort or volume is never one."),
    )
    partial = forms.BooleanField(
        label=_("Refuse only part of the request (the rest goes ahead)"), required=False
    )
    reason = forms.CharField(
        label=_("Reasons (sent to the requester)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Show why the ground applies: for a manifestly unfounded or excessive request the "
            "burden is ours; effort, volume or tone are no grounds."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ground") == "exception" and not data.get("statute", "").strip():
            self.add_error("statute", _("Name the provision that makes the exception."))
        return data


class FeeForm(_DecisionForm):
    """Art. 12(5)(a): a reasonable fee instead of refusing (only for a copy of the data)."""

    id_prefix = "fee"
    basis = forms.ChoiceField(
        label=_("Why a fee may be asked for"),
        choices=[("", _("Choose")), *FEE_BASES.items()],
    )
    sub_ground = forms.ChoiceField(
        label=_("What makes it manifestly unfounded or excessive"),
        required=False,
        choices=[
            ("", "—"),
            *list(
                {
                    key: label for options in SUB_GROUNDS.values() for key, label in options.items()
                }.items()
            ),
        ],
        help_text=_(
            "Required unless the fee is for a further copy; effort or volume is never one."
        ),
    )
    amount = forms.CharField(
        label=_("Amount"),
        max_length=12,
        help_text=_("Reasonable: based on the administrative costs of answering, e.g. 25.00."),
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[(code, code) for code in CURRENCIES], initial="EUR"
    )
    reason = forms.CharField(
        label=_("Reasons and how the amount was worked out (sent to the requester)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FeePaidForm(forms.Form):
    reason = forms.CharField(
        label=_("How the payment was received"),
        max_length=TEXT,
        help_text=_("For example the date and the bank reference."),
        widget=forms.TextInput(attrs={"id": "id_fee_paid_reason"}),
    )


class ObjectionDecisionForm(_DecisionForm):
    id_prefix = "objection"
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[
            ("1", _("Upheld: the processing the objection is about stops")),
            (
                "0",
                _("Rejected: compelling legitimate grounds, or legal claims (Art. 21(1) GDPR)"),
            ),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Assessment (sent to the requester if the objection is rejected)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Weigh the requester's particular situation against our grounds; continuing needs "
            "compelling grounds that override it, or legal claims."
        ),
    )


class DecisionReviewForm(_DecisionForm):
    """Art. 22(3): the outcome of a person's review of an automated decision."""

    id_prefix = "review"
    activity = forms.ChoiceField(
        label=_("Activity that took the decision"),
        help_text=_("From the register: the activities that decide by automated means alone."),
    )
    reviewer_role = forms.CharField(
        label=_("Reviewed by (role)"),
        max_length=200,
        help_text=_(
            "The role of the person with the authority to change the decision, e.g. head of "
            "risk management. The letter names it."
        ),
    )
    view_considered = forms.BooleanField(
        label=_("The reviewer read the person's point of view and took it into account"),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome of the review"), choices=ReviewOutcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reasons (sent to the requester)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "What was reviewed, how the person's view weighed, and why the decision stands, "
            "was changed (and to what) or was withdrawn."
        ),
    )

    def __init__(
        self, *args: Any, activities: Iterable[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["activity"].choices = list(activities)  # type: ignore[attr-defined]


class ProposalForm(RowForm):
    """Approve a proposal with an optional note, or withdraw it (the page shows no note)."""

    row_field = "proposal"
    field_template_name = INLINE
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    reason = one_line(_("Note on the approval"))


class SendBackForm(RowForm):
    row_field = "proposal"
    field_template_name = INLINE
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    reason = one_line(_("Why it is sent back"), required=True)


class TransmissionNotFeasibleForm(forms.Form):
    """Art. 20(2): direct transmission is not technically feasible; the letter gives the
    reason to the requester, in the language the officer writes it in (the request's)."""

    reason = forms.CharField(
        label=_("Why it is not technically feasible (the requester reads this)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm mb-2"}),
    )


class MatterForm(forms.Form):
    """Correct what the request is about: its letters then name that matter's authority."""

    matter = forms.ChoiceField(
        label=_("About"),
        required=False,
        choices=[("", _("anything else, or not stated")), *Matter.choices],
    )
    reason = forms.CharField(
        label=_("Reason for the correction (kept in the case log)"), max_length=TEXT
    )


class LegalHoldForm(forms.Form):
    """Place a hold, or release the one the case is ``on_hold`` with: the page's one button."""

    hold = forms.TypedChoiceField(
        choices=[("1", _("Place on legal hold")), ("0", _("Release the legal hold"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason (kept on the case)"),
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For example a court case or an inquiry of the supervisory authority. A request on "
            "legal hold is not deleted when its retention period ends."
        ),
    )

    def __init__(self, *args: Any, on_hold: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"hold": "0" if on_hold else "1"})
        super().__init__(*args, **kwargs)


class StatsPeriodForm(forms.Form):
    """The period of the statistics: a calendar year, or from/to dates (query parameters)."""

    MAX_DAYS = 366 * 10
    field_template_name = COMPACT

    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm input-year"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" and "to" are what the address says; they cannot be attribute names.
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                # ISO dates: what <input type="date"> reads and writes.
                widget=forms.DateInput(
                    attrs={"type": "date", "class": "form-control form-control-sm"},
                    format="%Y-%m-%d",
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end:
            if start > end:
                self.add_error("to", _("The end of the period is before its start."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("to", _("Choose a period of at most ten years."))
        elif start or end:
            self.add_error("to" if start else "from", _("Give both dates of the period."))
        return data


class ForwardForm(forms.Form):
    """Forward the request, or the part of it in some systems, to another controller named in
    the register (a joint controller, or the customer organisation that administers the
    account)."""

    field_template_name = COMPACT
    party = forms.ModelChoiceField(
        label=_("To"), queryset=OtherController.objects.filter(active=True)
    )
    systems = forms.MultipleChoiceField(
        label=_("Only the data in these systems"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "None ticked: the whole request (a joint controller); a customer organisation gets "
            "the systems the register names for it. We no longer act on the data in the systems "
            "forwarded."
        ),
    )
    note = forms.CharField(
        label=_("Note to the other controller"),
        required=False,
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm mb-2"}),
    )

    def __init__(self, *args: Any, systems: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["systems"].choices = list(systems)  # type: ignore[attr-defined]
