"""Telling officers by e-mail that work waits for them: a proposal to approve, the decision on
their proposal, a requester's answer, a failed job or delivery, a case given to them.

Each notice is owed through the outbox (``dsr.core.taskqueue``) in the transaction of the
change, with ids only, and rendered in the officer's language when it is sent. The subject
names the reference and nothing else about the person; the text says what happened and links
to the case. An officer may turn each kind off (``User.notifications_off``): the overview
and the digest still list the work.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from dsr.core import taskqueue
from dsr.core.mail import send_email
from dsr.models import (
    CaseMessage,
    ConnectorJob,
    Delivery,
    EventKind,
    MessageDirection,
    Proposal,
    ProposalOutcome,
    RequestEvent,
    SubjectRequest,
)
from dsr.selectors.staff import staff_members

SEND = "dsr.tasks.send_staff_notice"
LABEL = "staff_notice"

# What an officer can turn off, as the preferences page names it.
KINDS: dict[str, Promise] = {
    "approval": _("A decision another officer proposed waits for my approval"),
    "decided": _("My proposal was approved or sent back"),
    "answer": _("A requester answered on a case assigned to me"),
    "failure": _("A system's job or an e-mail to the requester failed on my case"),
    "assigned": _("A case was assigned to me"),
}


def wanted(user: User, kind: str) -> bool:
    return bool(user.is_active and user.email) and kind not in (user.notifications_off or [])


def notify(
    kind: str, request: SubjectRequest, users: Iterable[User], *, key: str = "", **extra: Any
) -> int:
    """Owe one notice of ``kind`` about ``request`` to each of ``users`` who wants it."""
    owed = 0
    for user in users:
        if not wanted(user, kind):
            continue
        taskqueue.owe(
            SEND,
            user.pk,
            kind,
            request.pk,
            extra,
            label=LABEL,
            key=f"notice:{key}:{user.pk}" if key else "",
        )
        owed += 1
    return owed


def _assignee(request: SubjectRequest) -> "QuerySet[SubjectRequest, int | None]":
    return SubjectRequest.objects.filter(pk=request.pk).values_list("assignee_id", flat=True)


def _responsible(request: SubjectRequest) -> list[User]:
    """Who must see a failure: the officer working the case, else every privacy officer."""
    if request.assignee is not None:
        return [request.assignee]
    return list(staff_members())


def on_event(*, request: SubjectRequest, event: RequestEvent, **_: Any) -> None:
    key = f"event:{event.pk}"
    if event.kind == EventKind.PROPOSED:
        # Every officer who may approve it: anyone who works cases but the proposer.
        others = staff_members().exclude(pk=event.actor_id or 0)
        notify("approval", request, others, key=key, proposal=event.data.get("proposal"))
    elif event.kind in (EventKind.PROPOSAL_APPROVED, EventKind.PROPOSAL_REJECTED):
        proposal = (
            Proposal.objects.filter(pk=event.data.get("proposal"))
            .select_related("proposed_by")
            .first()
        )
        if proposal is not None and proposal.proposed_by_id != event.actor_id:
            notify("decided", request, [proposal.proposed_by], key=key, proposal=proposal.pk)
    elif event.kind == EventKind.ASSIGNED:
        assignee = User.objects.filter(pk=event.data.get("assignee")).first()
        if assignee is not None and assignee.pk != event.actor_id:
            notify("assigned", request, [assignee], key=key)
    elif event.kind == EventKind.MESSAGE_RECEIVED:
        # The caller's copy of the request may predate its assignment: ask the database.
        assignee = User.objects.filter(pk__in=_assignee(request)).first()
        if assignee is not None:
            notify("answer", request, [assignee], key=key)


def on_job_failed(*, job: ConnectorJob, **_: Any) -> None:
    request = SubjectRequest.objects.select_related("assignee").get(pk=job.request_id)
    notify("failure", request, _responsible(request), job=job.pk)


def on_delivery_failed(*, delivery: Delivery, **_: Any) -> None:
    # Only what was owed to a requester: a notice to an officer that fails tells nobody
    # (it would only owe another notice).
    if delivery.request_id is None or delivery.label == LABEL:
        return
    request = SubjectRequest.objects.select_related("assignee").get(pk=delivery.request_id)
    notify("failure", request, _responsible(request), delivery=delivery.pk)


def choose(user: User, *, wanted: Iterable[str]) -> None:
    """Keep the kinds of notice the officer wants by e-mail (the others are turned off)."""
    keep = set(wanted)
    user.notifications_off = [kind for kind in KINDS if kind not in keep]
    user.save(update_fields=["notifications_off"])


def mark_answers_read(request: SubjectRequest, *, officer: User) -> int:
    """The officer working the case (anyone, while nobody is) opened it: the requester's
    messages are read and leave the to-do list."""
    if request.assignee_id not in (None, officer.pk):
        return 0
    return CaseMessage.objects.filter(
        request=request, direction=MessageDirection.FROM_REQUESTER, read_at=None
    ).update(read_at=timezone.now())


def _case_url(reference: str, anchor: str = "") -> str:
    url = settings.DSR_BASE_URL + reverse("staff:case", args=[reference])
    return f"{url}#{anchor}" if anchor else url


def notice_context(kind: str, request: SubjectRequest, extra: dict[str, Any]) -> dict[str, Any]:
    """What the notice says: references, the kind of decision or failure, never the person."""
    context: dict[str, Any] = {"reference": request.reference, "url": _case_url(request.reference)}
    proposal = Proposal.objects.filter(pk=int(extra.get("proposal") or 0), request=request).first()
    if proposal is not None:
        context["decision"] = proposal.get_kind_display()
        context["approved"] = proposal.outcome == ProposalOutcome.APPROVED
        context["url"] = _case_url(request.reference, f"proposal-{proposal.pk}")
    if extra.get("job"):
        job = ConnectorJob.objects.filter(pk=extra["job"], request=request).first()
        context["system"] = job.system if job is not None else ""
        context["url"] = _case_url(request.reference, "jobs")
    if extra.get("delivery"):
        context["delivery"] = True
        context["url"] = _case_url(request.reference, f"delivery-{extra['delivery']}")
    return context


def send_staff_notice(user_id: int, kind: str, request_id: int, extra: dict[str, Any]) -> bool:
    """Render and send one notice; False if the officer, the case or the wish is gone."""
    user = User.objects.filter(pk=user_id).first()
    request = SubjectRequest.objects.filter(pk=request_id).first()
    if user is None or request is None or kind not in KINDS or not wanted(user, kind):
        return False
    send_email(
        template=f"staff_{kind}",
        to=user.email,
        context=notice_context(kind, request, extra or {}),
        language=user.language or settings.LANGUAGE_CODE,
    )
    return True
