"""The intake forms: who asks, and what each right needs (and nothing more: never *why*)."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dsr.core.controller import get_controller
from dsr.core.files import Upload, UploadRejected, check_upload
from dsr.core.inert import LINKLIKE
from dsr.models import AgentAuthority, IdDocumentType, Matter
from dsr.rights import Right
from dsr.staff_forms import ManualIntakeForm

TEXT = 5000  # characters in a free-text answer


def no_links(value: str) -> None:
    """Names are repeated in e-mails we send: they must not carry links, not even a bare domain
    ("evil.example") or an address a mail client would open (the e-mails defang them too)."""
    lowered = value.lower()
    if any(mark in lowered for mark in ("://", "www.", "<", ">", "@")) or LINKLIKE.search(value):
        raise forms.ValidationError(_("Please enter a name without web addresses or markup."))


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UploadField(forms.FileField):
    """A PDF, JPEG or PNG, checked by its content; cleans to an ``Upload``."""

    # Only a hint to the browser's file picker; check_upload decides.
    widget = forms.ClearableFileInput(
        attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
    )

    def clean(self, data: Any, initial: Any = None) -> Upload | None:
        file = super().clean(data, initial)
        if not file:
            return None
        if file.size > settings.DSR_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large. Files may be at most %(size)d MB.")
                % {"size": settings.DSR_UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        upload = Upload(content=file.read())
        try:
            check_upload(upload)
        except UploadRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


# The subject's fields in an agent's words: (label, help text or None to keep it).
AGENT_WORDING = {
    "email": (
        _("E-mail address of the person you act for"),
        _(
            "The address we know the person you act for by. We ask them there to confirm "
            "that you act for them; our answer goes to you, the agent."
        ),
    ),
    "name": (_("Full name of the person you act for (optional)"), None),
    "phone": (_("Telephone of the person you act for (optional)"), None),
    "customer_number": (
        _("Customer number of the person you act for (optional)"),
        _("Helps us find their data faster."),
    ),
    "postal_address": (_("Postal address of the person you act for (optional)"), None),
}


class RequesterForm(forms.Form):
    """Who the request is about and who is asking. Every right's form starts with this."""

    MYSELF, AGENT = "myself", "agent"
    requester = forms.ChoiceField(
        label=_("Who is making this request?"),
        choices=[
            (MYSELF, _("I am asking about my own data")),
            (AGENT, _("I am asking on behalf of someone else")),
        ],
        widget=forms.RadioSelect,
        initial=MYSELF,
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        help_text=_(
            "The address we know the person whose data this is by: yours, if you ask for "
            "yourself. We send a confirmation link to it."
        ),
    )
    # The words for the subject's fields when an agent fills them in (the fields keep their
    # neutral words without script; portal.js swaps them as the choice changes, and a form
    # sent back with "agent" chosen is worded for the agent at once).
    name = forms.CharField(
        label=_("Full name (optional)"), required=False, max_length=200, validators=[no_links]
    )
    phone = forms.CharField(label=_("Telephone (optional)"), required=False, max_length=40)
    customer_number = forms.CharField(
        label=_("Customer number (optional)"),
        required=False,
        max_length=64,
        help_text=_("Helps us find the data faster."),
    )
    postal_address = forms.CharField(
        label=_("Postal address (optional)"), required=False, max_length=500, widget=_textarea(2)
    )
    # Offered only where another authority is competent for some matters (see __init__).
    matter = forms.ChoiceField(
        label=_("Is your request about one of these? (optional)"),
        required=False,
        choices=[("", _("No, or I am not sure")), *Matter.choices],
        help_text=_("It decides which supervisory authority is competent for your request."),
    )
    agent_name = forms.CharField(
        label=_("Your name (you, the agent)"),
        required=False,
        max_length=200,
        validators=[no_links],
    )
    agent_email = forms.EmailField(
        label=_("Your e-mail address (you, the agent)"),
        required=False,
        max_length=254,
        help_text=_("We send the confirmation link and, later, the answer to this address."),
    )
    agent_authority = forms.ChoiceField(
        label=_("Your authority to act for the person you act for"),
        required=False,
        choices=[("", "—"), *AgentAuthority.choices],
    )
    evidence = UploadField(
        label=_("Evidence of your authority"),
        required=False,
        help_text=_("For example a signed power of attorney. PDF, JPEG or PNG."),
    )

    def __init__(self, *args: Any, account_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if account_email:
            self.fields["email"].initial = account_email
        if not get_controller().authorities.exclude(matter="").exists():
            del self.fields["matter"]
        acting = self.is_bound and self.data.get(self.add_prefix("requester")) == self.AGENT
        for name, (words, help_text) in AGENT_WORDING.items():
            field = self.fields[name]
            field.widget.attrs.update(
                {"data-label-self": str(field.label), "data-label-agent": str(words)}
            )
            if help_text:
                field.widget.attrs.update(
                    {"data-help-self": str(field.help_text), "data-help-agent": str(help_text)}
                )
            if acting:
                field.label, field.help_text = words, help_text or field.help_text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("requester") == self.AGENT:
            for name in ("agent_name", "agent_email", "agent_authority", "evidence"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Please fill in this field to act for someone else."))
            if not any(data.get(n) for n in ("email", "customer_number", "phone")):
                self.add_error(
                    "email",
                    _(
                        "Please give the e-mail address, telephone or customer number of the "
                        "person you act for."
                    ),
                )
        elif not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Please give your e-mail address."))
        return data

    def right_details(self) -> dict[str, Any]:
        return {}


class RightFields(forms.Form):
    """What one right needs, on its own: a right's part of a submission that asks for several
    (with the right as the fields' prefix), or, joined with ``RequesterForm``, a right's form."""

    def right_details(self) -> dict[str, Any]:
        return {}


class AccessFields(RightFields):
    scope = forms.CharField(
        label=_("Anything in particular? (optional)"),
        required=False,
        max_length=TEXT,
        widget=_textarea(),
        help_text=_("Leave empty to receive everything we hold about you."),
    )

    def right_details(self) -> dict[str, Any]:
        return {"scope": self.cleaned_data["scope"].strip()}


class RectificationFields(RightFields):
    inaccurate = forms.CharField(
        label=_("Which data is wrong or incomplete?"), max_length=TEXT, widget=_textarea()
    )
    correction = forms.CharField(
        label=_("What is correct?"),
        max_length=TEXT,
        required=False,
        widget=_textarea(),
        help_text=_("Leave empty if you only want to add a supplementary statement."),
    )
    statement = forms.CharField(
        label=_("Supplementary statement (optional)"),
        required=False,
        max_length=TEXT,
        widget=_textarea(),
        help_text=_("Something we should add to complete your data (Art. 16 GDPR)."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            not (cleaned.get("correction") or "").strip()
            and not (cleaned.get("statement") or "").strip()
        ):
            self.add_error("correction", _("Say what is correct, or add a statement."))
        return cleaned

    def right_details(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k].strip() for k in ("inaccurate", "correction", "statement")}


class ErasureFields(RightFields):
    ALL, PARTS = "all", "parts"
    scope = forms.ChoiceField(
        label=_("What should we erase?"),
        choices=[(ALL, _("All my data")), (PARTS, _("Only certain data"))],
        widget=forms.RadioSelect,
        initial=ALL,
    )
    parts = forms.CharField(
        label=_("Which data?"), required=False, max_length=TEXT, widget=_textarea()
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == self.PARTS and not data.get("parts", "").strip():
            self.add_error("parts", _("Please say which data we should erase."))
        return data

    def right_details(self) -> dict[str, Any]:
        return {"scope": self.cleaned_data["scope"], "parts": self.cleaned_data["parts"].strip()}


class RestrictionFields(RightFields):
    ground = forms.ChoiceField(
        label=_("Why should we restrict the use of your data?"),
        choices=[
            ("a", _("I contest the accuracy of my data (while it is checked)")),
            ("b", _("The processing is unlawful, but I want restriction instead of erasure")),
            ("c", _("You no longer need the data, but I need it for legal claims")),
            ("d", _("I have objected and you are checking whether your grounds override mine")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Art. 18(1)(a) to (d) GDPR."),
    )
    details = forms.CharField(
        label=_("Details (optional)"), required=False, max_length=TEXT, widget=_textarea()
    )

    def right_details(self) -> dict[str, Any]:
        return {"ground": self.cleaned_data["ground"], "details": self.cleaned_data["details"]}


class PortabilityFields(RightFields):
    transmit = forms.BooleanField(
        label=_("Send my data directly to another company"),
        required=False,
        help_text=_("Where technically feasible (Art. 20(2) GDPR)."),
    )
    recipient_name = forms.CharField(
        label=_("Name of the other company"), required=False, max_length=200
    )
    recipient_contact = forms.CharField(
        label=_("Its address for receiving data"),
        required=False,
        max_length=500,
        help_text=_("An e-mail address or an address its data protection team gave you."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("transmit"):
            for name in ("recipient_name", "recipient_contact"):
                if not data.get(name, "").strip():
                    self.add_error(name, _("Please fill in this field to have the data sent."))
        return data

    def right_details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "transmit": bool(data["transmit"]),
            "recipient_name": data["recipient_name"].strip(),
            "recipient_contact": data["recipient_contact"].strip(),
        }


class ObjectionFields(RightFields):
    MARKETING, SITUATION = "direct_marketing", "particular_situation"
    kind = forms.ChoiceField(
        label=_("What do you object to?"),
        choices=[
            (MARKETING, _("The use of my data for direct marketing (we stop, no questions)")),
            (SITUATION, _("Other processing, for reasons of my particular situation")),
        ],
        widget=forms.RadioSelect,
        initial=MARKETING,
    )
    situation = forms.CharField(
        label=_("Your particular situation"),
        required=False,
        max_length=TEXT,
        widget=_textarea(4),
        help_text=_("Art. 21(1) GDPR asks for the grounds relating to your situation."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == self.SITUATION and not data.get("situation", "").strip():
            self.add_error("situation", _("Please describe your particular situation."))
        return data

    def right_details(self) -> dict[str, Any]:
        return {"kind": self.cleaned_data["kind"], "situation": self.cleaned_data["situation"]}


class ConsentWithdrawalFields(RightFields):
    consent = forms.CharField(
        label=_("Which consent do you withdraw?"),
        max_length=TEXT,
        widget=_textarea(2),
        help_text=_("For example: newsletter, customer surveys, or all consents."),
    )

    def right_details(self) -> dict[str, Any]:
        return {"consent": self.cleaned_data["consent"].strip()}


class AutomatedDecisionFields(RightFields):
    """Art. 22(3): human intervention, the person's point of view, contesting the decision."""

    HUMAN_REVIEW, EXPRESS_VIEW, CONTEST = "human_review", "express_view", "contest"
    decision = forms.CharField(
        label=_("Which decision is it about?"),
        max_length=TEXT,
        widget=_textarea(2),
        help_text=_("For example: my order of 3 May was declined."),
    )
    decision_date = forms.DateField(
        label=_("When was the decision made? (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    wants = forms.MultipleChoiceField(
        label=_("What would you like?"),
        choices=[
            (HUMAN_REVIEW, _("A person with the authority to change it reviews the decision")),
            (EXPRESS_VIEW, _("I want to express my point of view")),
            (CONTEST, _("I contest the decision")),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[HUMAN_REVIEW],
    )
    view = forms.CharField(
        label=_("Your point of view (optional)"),
        required=False,
        max_length=TEXT,
        widget=_textarea(4),
        help_text=_("What the person reviewing the decision should take into account."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wants = set(data.get("wants") or ())
        if wants & {self.EXPRESS_VIEW, self.CONTEST} and not data.get("view", "").strip():
            self.add_error(
                "view", _("Please tell us your point of view, or why you contest the decision.")
            )
        return data

    def right_details(self) -> dict[str, Any]:
        data = self.cleaned_data
        when = data.get("decision_date")
        return {
            "decision": data["decision"].strip(),
            "decision_date": when.isoformat() if when else "",
            # In the form's order, whatever order the browser sent them in.
            "wants": [
                key
                for key in (self.HUMAN_REVIEW, self.EXPRESS_VIEW, self.CONTEST)
                if key in data["wants"]
            ],
            "view": data["view"].strip(),
        }


FIELDS: dict[Right, type[RightFields]] = {
    Right.ACCESS: AccessFields,
    Right.RECTIFICATION: RectificationFields,
    Right.ERASURE: ErasureFields,
    Right.RESTRICTION: RestrictionFields,
    Right.PORTABILITY: PortabilityFields,
    Right.OBJECTION: ObjectionFields,
    Right.CONSENT_WITHDRAWAL: ConsentWithdrawalFields,
    Right.AUTOMATED_DECISION: AutomatedDecisionFields,
}


# A right's form of its own: who asks, then what the right needs, unprefixed (as the one-right
# pages have always posted it).
class AccessForm(AccessFields, RequesterForm):
    pass


class RectificationForm(RectificationFields, RequesterForm):
    pass


class ErasureForm(ErasureFields, RequesterForm):
    pass


class RestrictionForm(RestrictionFields, RequesterForm):
    pass


class PortabilityForm(PortabilityFields, RequesterForm):
    pass


class ObjectionForm(ObjectionFields, RequesterForm):
    pass


class ConsentWithdrawalForm(ConsentWithdrawalFields, RequesterForm):
    pass


class AutomatedDecisionForm(AutomatedDecisionFields, RequesterForm):
    pass


FORMS: dict[Right, type[RequesterForm]] = {
    Right.ACCESS: AccessForm,
    Right.RECTIFICATION: RectificationForm,
    Right.ERASURE: ErasureForm,
    Right.RESTRICTION: RestrictionForm,
    Right.PORTABILITY: PortabilityForm,
    Right.OBJECTION: ObjectionForm,
    Right.CONSENT_WITHDRAWAL: ConsentWithdrawalForm,
    Right.AUTOMATED_DECISION: AutomatedDecisionForm,
}

# The fields every right's form shares, shown first on the page.
REQUESTER_FIELDS = tuple(RequesterForm.base_fields)


class Filing:
    """One submission: who asks, and the fields of each right asked for. One right alone is
    that right's own form (its fields unprefixed); several share the requester's fields, each
    right's fields prefixed with the right ("erasure-scope")."""

    def __init__(
        self,
        rights: list[Right],
        data: Any = None,
        files: Any = None,
        *,
        account_email: str = "",
    ) -> None:
        self.rights = rights
        self.parts: dict[Right, RightFields | RequesterForm]
        if len(rights) == 1:
            self.requester = FORMS[rights[0]](data, files, account_email=account_email)
            self.parts = {rights[0]: self.requester}
        else:
            self.requester = RequesterForm(data, files, account_email=account_email)
            self.parts = {right: FIELDS[right](data, prefix=right.value) for right in rights}

    def _forms(self) -> list[forms.Form]:
        return [self.requester, *(p for p in self.parts.values() if p is not self.requester)]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self._forms()])  # every form: all errors show

    @property
    def errors(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for form in self._forms():
            merged.update({f"{form.prefix or ''}{name}": e for name, e in form.errors.items()})
        return merged

    def non_field_errors(self) -> list[str]:
        return [str(e) for form in self._forms() for e in form.non_field_errors()]

    def add_error(self, message: str) -> None:
        self.requester.add_error(None, message)

    @property
    def cleaned_data(self) -> dict[str, Any]:
        return self.requester.cleaned_data

    def details(self) -> dict[str, dict[str, Any]]:
        return {right.value: part.right_details() for right, part in self.parts.items()}

    def requester_fields(self) -> list[Any]:
        return [self.requester[n] for n in REQUESTER_FIELDS if n in self.requester.fields]

    def right_fields(self, right: Right) -> list[Any]:
        part = self.parts[right]
        return [part[n] for n in part.fields if n not in REQUESTER_FIELDS]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RequestListForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("The address you gave in your requests (as an agent: your own address)."),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"), required=False, max_length=TEXT, widget=_textarea(4)
    )
    document_type = forms.ChoiceField(
        label=_("Type of document"), required=False, choices=[("", "—"), *IdDocumentType.choices]
    )
    attachment = UploadField(
        label=_("Attach a file (optional)"),
        required=False,
        help_text=_(
            "PDF, JPEG or PNG. For an identity document, black out what we do not need: the "
            "document and access numbers, nationality, height, eye colour and the machine-"
            "readable lines. We need only your name, date of birth, photo and the expiry date."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        empty = not data.get("body", "").strip() and not data.get("attachment")
        if empty and "attachment" not in self.errors:
            self.add_error("body", _("Please write an answer or attach a file."))
        return data


def detail_rows(right: str, details: dict[str, Any]) -> list[tuple[str, str]]:
    """A right's stored answers with the labels the requester saw (or staff typed)."""
    fields = {**ManualIntakeForm.base_fields, **FORMS[Right(right)].base_fields}
    fields["as_received"] = ManualIntakeForm.base_fields["details"]
    rows = []
    # In the form's order: the database keeps JSON keys in an order of its own.
    order = {name: index for index, name in enumerate(fields)}
    for key, value in sorted(details.items(), key=lambda item: order.get(item[0], len(order))):
        if value in ("", None, False):
            continue
        field = fields.get(key)
        label = str(field.label) if field is not None else key
        choices = dict(getattr(field, "choices", ())) if field else {}
        shown: object
        if value is True:
            shown = _("Yes")
        elif isinstance(value, list):  # several choices ticked
            shown = "; ".join(str(choices.get(item, item)) for item in value)
        else:
            shown = choices.get(value, value)
        rows.append((label, str(shown)))
    return rows
