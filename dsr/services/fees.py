"""A reasonable fee instead of a refusal (Art. 12(5)(a) GDPR), or for a further copy
(Art. 15(3)): proposed and approved like a refusal, with a letter of its own; recording the
payment lets the case go on.

A fee is never allowed for a first copy or for any request under Art. 16 to 22 (nor for
withdrawing consent, which must be as easy as giving it): only for an access request that is
manifestly unfounded or excessive, or that asks for a copy already given (LEGAL.md §2).

The clock: asking for a fee neither pauses nor extends it. The fee letter must reach the
person by the one-month date, as a refusal would (it is the alternative to one, Art. 12(4)),
and the answer stays due on the date it was due before. While the fee is unpaid the systems
may be searched, but the answer is not sent; once the payment is recorded the case goes on
towards the same due date. If the person neither pays nor withdraws, the officer refuses on
the ground the fee letter already gave.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from dsr.core import four_eyes
from dsr.core.clock import clock_for, today
from dsr.core.controller import competent_authority
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.models import (
    EventKind,
    Proposal,
    ProposalKind,
    ProposalOutcome,
    RequestEvent,
    Status,
    SubjectRequest,
)
from dsr.rights import Right
from dsr.services import refusals

FURTHER_COPY = "further_copy"
BASES = {
    "manifestly_unfounded": refusals.GROUNDS["manifestly_unfounded"],
    "excessive": refusals.GROUNDS["excessive"],
    FURTHER_COPY: gettext_lazy(
        "A further copy of data you have already received (Art. 15(3) GDPR)"
    ),
}
CURRENCIES = ("EUR", "CHF", "GBP", "DKK", "SEK", "NOK", "PLN", "CZK", "HUF", "RON", "BGN")
AMOUNT = re.compile(r"^\d{1,6}(\.\d{1,2})?$")


@dataclass(frozen=True)
class Fee:
    basis: str
    amount: str  # a decimal, as text: "25.00"
    currency: str
    reasons: str
    sub_ground: str = ""  # what makes it manifestly unfounded or excessive


def fee_for(reason: str, payload: dict[str, Any]) -> Fee:
    return Fee(
        basis=str(payload.get("basis", "")),
        amount=str(payload.get("amount", "")),
        currency=str(payload.get("currency", "")),
        reasons=reason,
        sub_ground=str(payload.get("sub_ground", "")),
    )


def payload_of(fee: Fee) -> dict[str, str]:
    return {
        "basis": fee.basis,
        "amount": fee.amount,
        "currency": fee.currency,
        "sub_ground": fee.sub_ground,
    }


def normalised_amount(value: str) -> str:
    """The amount as entered ("25", "25,5") as a decimal with two places, or ""."""
    text = str(value).strip().replace(",", ".")
    if not AMOUNT.match(text):
        return ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return ""
    return f"{amount:.2f}" if amount > 0 else ""


def only_access(request: SubjectRequest) -> bool:
    return set(request.rights) == {Right.ACCESS}


def copies_given(request: SubjectRequest) -> list[SubjectRequest]:
    """The person's answered access requests for the same data in the interval: a copy they
    already have, so that another one is a further copy."""
    return [
        earlier
        for earlier in refusals.repeated_requests(request)
        if earlier.status == Status.COMPLETED
        and earlier.requested_rights.filter(right=Right.ACCESS).exists()
    ]


def validate(request: SubjectRequest, fee: Fee) -> None:
    """What a fee needs before it may be asked for: checked when proposed and when sent."""
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not only_access(request):
        raise RequestError(
            _(
                "A fee may be asked for only for a copy of the data (Art. 15 GDPR): never for "
                "a request for correction, erasure, restriction, portability, objection or "
                "withdrawal of consent (Art. 16 to 22 GDPR). Answer it, or refuse it with "
                "reasons."
            )
        )
    if fee.basis not in BASES:
        raise RequestError(_("Say why a fee may be asked for."))
    if not normalised_amount(fee.amount):
        raise RequestError(_("Enter the fee as an amount above zero, e.g. 25.00."))
    if fee.currency not in CURRENCIES:
        raise RequestError(_("Choose the currency of the fee."))
    if not fee.reasons.strip():
        raise RequestError(
            _("Give the reasons for the fee and how it was worked out: the person reads them.")
        )
    if fee.basis == FURTHER_COPY:
        if not copies_given(request):
            raise RequestError(
                _(
                    "The first copy is free (Art. 15(3) GDPR): the person has received no copy "
                    "of the same data from us in the %(months)d months before this request."
                )
                % {"months": refusals.REPETITIVE_MONTHS}
            )
        if competent_authority(request) is None:
            raise RequestError(
                _(
                    "Name the competent supervisory authority in the configuration first: the "
                    "requester must be told where to complain (Art. 12(4) GDPR)."
                )
            )
    else:
        # The same burden as a refusal on that ground: a sub-ground, never effort, and for
        # "repetitive" an earlier request for the same.
        refusals.validate(
            request,
            refusals.Refusal(ground=fee.basis, reasons=fee.reasons, sub_ground=fee.sub_ground),
        )
    if request.events.filter(kind=EventKind.FEE_REQUESTED).exists():
        raise RequestError(_("A fee has already been asked for in this request."))
    if today() > clock_for(request).deadlines.policy_due:
        raise RequestError(
            _(
                "A fee must be asked for within the first month, like a refusal (Art. 12(4) "
                "GDPR); that date has passed. Answer the request."
            )
        )


@transaction.atomic
def ask_fee(
    request: SubjectRequest, *, officer: User, fee: Fee, proposal: Proposal | None = None
) -> RequestEvent:
    """Send the fee letter. Under four eyes only as the approval of a proposal: see
    ``dsr.services.decisions``."""
    validate(request, fee)
    four_eyes.authorise(request, ProposalKind.FEE, officer=officer, proposal=proposal)
    if proposal is not None and fee_for(proposal.reason, proposal.payload) != fee:
        raise RequestError(_("This fee is not the one the second officer approved."))
    data: dict[str, Any] = payload_of(fee) | {"amount": normalised_amount(fee.amount)}
    earlier = copies_given(request) if fee.basis == FURTHER_COPY else []
    if fee.sub_ground == "repetitive":
        earlier = refusals.repeated_requests(request)
    data["earlier"] = [
        {"reference": r.reference, "received_on": r.received_on.isoformat()} for r in earlier
    ]
    if proposal is not None:
        data |= {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    event = record(
        request, EventKind.FEE_REQUESTED, actor=officer, reason=fee.reasons.strip(), data=data
    )
    send_to_requester(request, "fee_requested")  # the worker reads the fee from the event
    return event


def outstanding(request: SubjectRequest) -> RequestEvent | None:
    """The fee asked for and not paid yet, if any."""
    asked = request.events.filter(kind=EventKind.FEE_REQUESTED).order_by("-at", "-pk").first()
    if asked is None or request.events.filter(kind=EventKind.FEE_PAID).exists():
        return None
    return asked


def fee_possible(request: SubjectRequest) -> bool:
    """Whether the case page offers the fee at all (the checks are ``validate``'s)."""
    return (
        request.is_open
        and only_access(request)
        and not request.events.filter(kind=EventKind.FEE_REQUESTED).exists()
        and not request.proposals.filter(
            kind=ProposalKind.FEE, outcome=ProposalOutcome.PENDING
        ).exists()
    )


@transaction.atomic
def record_payment(request: SubjectRequest, *, officer: User, note: str) -> None:
    """The fee reached us: the answer may go out (the due date is the one it always was)."""
    request = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    asked = outstanding(request)
    if asked is None:
        raise RequestError(_("No fee is waiting to be paid in this request."))
    if not request.is_open:
        raise RequestError(_("This request is already closed."))
    if not note.strip():
        raise RequestError(_("Say how the payment was received (e.g. the bank reference)."))
    record(request, EventKind.FEE_PAID, actor=officer, reason=note.strip(), data={"fee": asked.pk})


def unpaid_message() -> str:
    return _(
        "A fee was asked for and is not recorded as paid: the answer goes out once the payment "
        "is recorded (or refuse the request on the ground the fee letter gave)."
    )


def fee_context(request: SubjectRequest) -> dict[str, object]:
    """What the fee letter says, from the recorded event (lazy texts: the request's language)."""
    event = request.events.filter(kind=EventKind.FEE_REQUESTED).order_by("-at", "-pk").first()
    if event is None:
        return {}
    basis = event.data.get("basis", "")
    return {
        "fee_basis": basis,
        "fee_basis_label": BASES.get(basis, ""),
        "fee_sub_ground": refusals.SUB_GROUNDS.get(basis, {}).get(
            event.data.get("sub_ground", ""), ""
        ),
        "fee_amount": Decimal(event.data.get("amount") or "0"),
        "fee_currency": event.data.get("currency", ""),
        "fee_reasons": event.reason,
        "fee_earlier": [
            {"reference": e["reference"], "received_on": date.fromisoformat(e["received_on"])}
            for e in event.data.get("earlier", [])
        ],
    }
