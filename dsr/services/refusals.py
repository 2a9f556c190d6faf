"""Refusing a request, wholly or in part, with the Art. 12(4) notice that must go with it.

The notice cannot be sent without its three elements: the reasons, the right to complain to a
supervisory authority (the one competent for the request named, and the subject's own where
they live or work), and the judicial remedy. It goes as an e-mail with the same text as a PDF
letter.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from dsr.core import four_eyes
from dsr.core.clock import clock_for, today
from dsr.core.controller import competent_authority
from dsr.core.errors import RequestError
from dsr.core.events import record
from dsr.core.messages import send_to_requester
from dsr.core.subjects import same_person
from dsr.models import EventKind, Proposal, ProposalKind, SubjectRequest
from dsr.rights import Right
from dsr.services import refusals

GROUNDS = {
    "manifestly_unfounded": gettext_lazy("Manifestly unfounded (Art. 12(5) GDPR)"),
    "excessive": gettext_lazy("Excessive, in particular because repetitive (Art. 12(5) GDPR)"),
    "exception": gettext_lazy("An exception in law applies (e.g. Art. 17(3) GDPR)"),
    "not_identifiable": gettext_lazy("We cannot identify you (Art. 11(2), 12(2) GDPR)"),
    "rights_of_others": gettext_lazy("It would affect the rights of others (Art. 15(4) GDPR)"),
    # Only as the decision on an Art. 21(1) objection, never picked as a refusal of its own.
    "compelling_grounds": gettext_lazy(
        "Compelling legitimate grounds that override your interests, or the establishment, "
        "exercise or defence of legal claims (Art. 21(1) GDPR)"
    ),
}
OBJECTION_GROUND = "compelling_grounds"
# What an officer may choose when refusing (the objection decision brings its own ground).
REFUSAL_GROUNDS = {key: label for key, label in GROUNDS.items() if key != OBJECTION_GROUND}

# What makes a request manifestly unfounded or excessive (EDPB Guidelines 01/2022 §§ 174-188):
# the officer names one. "effort" is offered so that it can be refused with the reason.
SUB_GROUNDS = {
    "manifestly_unfounded": {
        "no_intention": gettext_lazy(
            "You clearly do not intend to exercise the right (e.g. you offer to withdraw the "
            "request in return for a benefit)"
        ),
        "malicious": gettext_lazy("The request is made with the sole intent to cause disruption"),
        "effort": gettext_lazy("The effort or the volume of the request"),
    },
    "excessive": {
        "repetitive": gettext_lazy(
            "You made the same request before, within a short interval, and nothing has changed"
        ),
        "effort": gettext_lazy("The effort or the volume of the request"),
    },
}
# How far back an earlier request for the same right can make a new one repetitive.
REPETITIVE_MONTHS = 12


@dataclass(frozen=True)
class Refusal:
    ground: str
    reasons: str
    statute: str = ""  # for an exception: which provision
    partial: bool = False
    sub_ground: str = ""  # what makes it manifestly unfounded or excessive


def validate(request: SubjectRequest, refusal: Refusal) -> None:
    """What a refusal needs before it may be sent (Art. 12(4)); checked when it is proposed, so
    a proposal that could not be sent is refused up front, and again when it is sent."""
    if refusal.ground not in GROUNDS:
        raise RequestError(_("Please choose the ground of the refusal."))
    if not refusal.reasons.strip():
        raise RequestError(_("A refusal must give the requester its reasons (Art. 12(4) GDPR)."))
    if refusal.ground == "exception" and not refusal.statute.strip():
        raise RequestError(_("Name the provision that makes the exception."))
    if refusal.ground in SUB_GROUNDS:
        if refusal.sub_ground not in SUB_GROUNDS[refusal.ground]:
            raise RequestError(_("Say what makes the request manifestly unfounded or excessive."))
        if refusal.sub_ground == "effort":
            raise RequestError(
                _(
                    "Effort or volume never makes a request manifestly unfounded or excessive: "
                    "the burden of showing it is ours, and the law gives no such ground."
                )
            )
        if refusal.sub_ground == "repetitive" and not earlier_requests(request):
            raise RequestError(
                _(
                    "Nothing supports 'repetitive': the person made no request for the same "
                    "right in the %(months)d months before this one."
                )
                % {"months": REPETITIVE_MONTHS}
            )
        if refusal.sub_ground == "repetitive" and not repeated_requests(request):
            raise RequestError(
                _(
                    "Nothing supports 'repetitive': the person's earlier requests for the same "
                    "right in the %(months)d months before this one asked for something "
                    "materially different (other data, systems or categories). A request for "
                    "something not asked before is not a repetition."
                )
                % {"months": REPETITIVE_MONTHS}
            )
    if refusal.ground == "rights_of_others" and not refusal.partial:
        raise RequestError(
            _(
                "The rights of others justify withholding their data, never refusing the whole "
                "request (Art. 15(4) GDPR): refuse only that part."
            )
        )
    if (
        refusal.ground not in ("not_identifiable", OBJECTION_GROUND)
        and request.requested_rights.filter(
            right="objection", details__kind="direct_marketing"
        ).exists()
    ):
        raise RequestError(
            _(
                "An objection to direct marketing is absolute (Art. 21(3) GDPR): it can only be "
                "refused if we cannot identify the person."
            )
        )
    if competent_authority(request) is None:
        raise RequestError(
            _(
                "Name the competent supervisory authority in the configuration first: the "
                "requester must be told where to complain (Art. 12(4) GDPR)."
            )
        )
    if not request.is_open:
        raise RequestError(_("This request is already closed."))


def earlier_requests(request: SubjectRequest) -> list[SubjectRequest]:
    """The same person's earlier requests for one of the same rights, received in the
    ``REPETITIVE_MONTHS`` before this one: what an officer weighs before calling it repetitive,
    and what the refusal letter names."""
    rights = list(request.requested_rights.values_list("right", flat=True))
    since = request.received_at - timedelta(days=round(REPETITIVE_MONTHS * 30.44))
    return list(
        SubjectRequest.objects.filter(same_person(request))
        .exclude(pk=request.pk)
        .filter(
            received_at__lt=request.received_at,
            received_at__gte=since,
            requested_rights__right__in=rights,
        )
        .distinct()
        .order_by("received_at")
    )


# What of each right a request asks for: the fields that say which data, systems or
# categories. A right without such fields asks for everything it covers.
SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    Right.ACCESS: ("scope",),
    Right.ERASURE: ("scope", "parts"),
    Right.RECTIFICATION: ("inaccurate", "correction"),
    Right.RESTRICTION: ("ground", "details"),
    Right.PORTABILITY: (),
    Right.OBJECTION: ("kind", "situation"),
    Right.CONSENT_WITHDRAWAL: ("consent",),
}


def _scope(right: str, details: dict[str, Any]) -> tuple[str, ...]:
    """The right's scope, normalised (case and spacing do not make it another request)."""
    if right == Right.ERASURE and details.get("scope") != "parts":
        return ()  # all the person's data
    values = tuple(
        " ".join(str(details.get(name) or "").casefold().split())
        for name in SCOPE_FIELDS.get(right, ())
    )
    return () if not any(values) else values


def covers(earlier: SubjectRequest, request: SubjectRequest) -> bool:
    """Whether an earlier request asked for what this one asks, for one right they share: the
    same scope, or everything (an earlier request for all the data covers a narrower one, not
    the other way round)."""
    before = {item.right: item.details for item in earlier.requested_rights.all()}
    for item in request.requested_rights.all():
        if item.right not in before:
            continue
        then, now = _scope(item.right, before[item.right]), _scope(item.right, item.details)
        if then == now or then == ():
            return True
    return False


def repeated_requests(request: SubjectRequest) -> list[SubjectRequest]:
    """The earlier requests in the interval that asked for the same as this one: only these
    can make it repetitive, and the refusal letter names them."""
    return [earlier for earlier in earlier_requests(request) if covers(earlier, request)]


@dataclass(frozen=True)
class Earlier:
    """An earlier request as the officer weighs it: when, what it asked, what was answered."""

    request: SubjectRequest
    asked: list[tuple[str, str]]  # (right, what of it), as the person put it
    answered: str  # the outcome in words, with its date
    same_scope: bool


def earlier_overview(request: SubjectRequest) -> list[Earlier]:
    overview = []
    for earlier in earlier_requests(request):
        asked = []
        for item in earlier.requested_rights.all():
            as_put = [
                str(item.details.get(name) or "").strip()
                for name in SCOPE_FIELDS.get(item.right, ())
            ]
            everything = not _scope(item.right, item.details)
            asked.append(
                (
                    str(item.get_right_display()),
                    _("everything") if everything else "; ".join(filter(None, as_put)),
                )
            )
        overview.append(
            Earlier(
                request=earlier,
                asked=asked,
                answered=_answered(earlier),
                same_scope=covers(earlier, request),
            )
        )
    return overview


def _answered(earlier: SubjectRequest) -> str:
    closing = (
        earlier.events.filter(
            kind__in=[
                EventKind.ANSWER_RELEASED,
                EventKind.COMPLETED,
                EventKind.REFUSED,
                EventKind.PARTLY_REFUSED,
                EventKind.WITHDRAWN,
                EventKind.EXPIRED,
            ]
        )
        .order_by("at", "pk")
        .first()
    )
    if closing is None:
        return _("not answered yet (%(status)s)") % {"status": earlier.get_status_display()}
    return _("%(outcome)s on %(date)s") % {
        "outcome": closing.get_kind_display(),
        "date": formats.date_format(timezone.localtime(closing.at), "DATE_FORMAT"),
    }


@transaction.atomic
def refuse(
    request: SubjectRequest,
    *,
    officer: User,
    refusal: Refusal,
    proposal: Proposal | None = None,
) -> None:
    """Send the refusal. Where a second officer is required (DSR_FOUR_EYES) this runs only as
    the approval of a proposal the officer approved: see ``dsr.services.decisions``."""

    validate(request, refusal)
    kind = ProposalKind.OBJECTION if refusal.ground == OBJECTION_GROUND else ProposalKind.REFUSAL
    four_eyes.authorise(request, kind, officer=officer, proposal=proposal)
    if proposal is not None and refusals.refusal_of(proposal) != refusal:
        raise RequestError(_("This refusal is not the one the second officer approved."))
    clock = clock_for(request)
    late = today() > clock.deadlines.policy_due
    data: dict[str, object] = {
        "ground": refusal.ground,
        "statute": refusal.statute.strip(),
        "late": late,
    }
    if refusal.sub_ground:
        data["sub_ground"] = refusal.sub_ground
    if refusal.sub_ground == "repetitive":
        # Named in the letter: which earlier requests, received when.
        data["earlier"] = [
            {"reference": r.reference, "received_on": r.received_on.isoformat()}
            for r in repeated_requests(request)
        ]
    if proposal is not None:
        data |= {"proposal": proposal.pk, "proposed_by": proposal.proposed_by_id}
    record(
        request,
        EventKind.PARTLY_REFUSED if refusal.partial else EventKind.REFUSED,
        actor=officer,
        reason=refusal.reasons.strip(),
        data=data,
    )
    send_to_requester(
        request, "refused"
    )  # the worker reads the reasons from the event, not the message


def refusal_context(request: SubjectRequest) -> dict[str, object]:
    event = (
        request.events.filter(kind__in=[EventKind.REFUSED, EventKind.PARTLY_REFUSED])
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return {}
    return {
        # Lazy: translated when the letter is rendered, in the request's language.
        "ground": GROUNDS.get(event.data.get("ground", ""), ""),
        "sub_ground": SUB_GROUNDS.get(event.data.get("ground", ""), {}).get(
            event.data.get("sub_ground", ""), ""
        ),
        "earlier": [
            {"reference": e["reference"], "received_on": date.fromisoformat(e["received_on"])}
            for e in event.data.get("earlier", [])
        ],
        "statute": event.data.get("statute", ""),
        "reasons": event.reason,
        "partial": event.kind == EventKind.PARTLY_REFUSED,
        # A rejected Art. 21(1) objection: the restriction of the assessment is lifted.
        "lifts_restriction": event.data.get("ground") == OBJECTION_GROUND
        and request.jobs.filter(action="lift_restriction").exists(),
    }


def refusal_for(request: SubjectRequest, kind: str, reason: str, payload: dict[str, Any]) -> Any:
    """The refusal a decision sends, if it sends one."""
    if kind == ProposalKind.REFUSAL:
        return Refusal(
            ground=payload["ground"],
            reasons=reason,
            statute=payload["statute"],
            partial=payload["partial"],
            sub_ground=str(payload.get("sub_ground", "")),
        )
    if kind == ProposalKind.OBJECTION and not payload["upheld"]:
        # Processing continues despite the objection: an Art. 12(4) notice. Only the objection
        # is refused when the request asks for more.
        others = request.requested_rights.exclude(right=Right.OBJECTION).exists()
        return Refusal(ground=OBJECTION_GROUND, reasons=reason, partial=others)
    return None


def refusal_of(proposal: Proposal) -> Any:
    """The exact refusal an approved proposal stands for (nothing else may be sent on it)."""
    return refusal_for(proposal.request, proposal.kind, proposal.reason, proposal.payload)
