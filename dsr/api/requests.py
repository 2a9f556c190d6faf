"""The API's endpoints: thin like the views (parse, call a service, answer)."""

import base64
import binascii
from datetime import timedelta
from typing import Annotated, Literal

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.params import functions as param

from dsr.api import schemas as s
from dsr.api.auth import concerns, key_of, require
from dsr.api.errors import ApiError, ErrorOut, not_found
from dsr.core.clock import clock_for, today
from dsr.core.errors import RequestError
from dsr.core.files import FileRefused, Upload
from dsr.exports.package import read_package
from dsr.models import (
    AnswerPackage,
    ApiFiling,
    ApiKey,
    ManualTask,
    Scope,
    SubjectRequest,
)
from dsr.processing import manual
from dsr.rights import Right
from dsr.selectors.queue import PAGE_SIZE, Filters, open_requests
from dsr.services import api_keys, questions
from dsr.services.intake import Intake, SubjectDetails, submit_request

router = Router(tags=["requests"])

Reference = Annotated[str, param.Path(..., pattern=r"^[A-Za-z0-9-]{1,20}$", max_length=20)]
Id = Annotated[int, param.Path(..., ge=1, le=2**31 - 1)]
MAX_AGE = timedelta(days=366)


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    # Every call may be unreadable (400), refused for its key (401), its scope (403) or its
    # rate (429).
    return {code: ErrorOut for code in (400, 401, 403, 429, *codes)}


def _visible(key: ApiKey) -> QuerySet[SubjectRequest]:
    """The requests a key may see: all for read and officer keys, its own for intake keys."""
    items = SubjectRequest.objects.all()
    if api_keys.has_scope(key, Scope.READ):
        return items
    return items.filter(api_filing__key=key)


def _load(request: HttpRequest, reference: str) -> SubjectRequest:
    # Every key has a scope: read and officer keys see every request, intake keys their own.
    item = _visible(key_of(request)).filter(reference=reference.upper()).first()
    if item is None:
        raise not_found()
    concerns(request, item.pk)
    return item


def _summary(item: SubjectRequest) -> dict[str, object]:
    return {
        "reference": item.reference,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "rights": sorted(item.rights),
        "channel": item.channel,
        "language": item.language,
        "received_at": item.received_at,
        "due_on": item.due_on,
        "paused": item.paused,
    }


def _detail(item: SubjectRequest, key: ApiKey) -> dict[str, object]:
    events = list(item.events.order_by("at", "pk"))
    clock = clock_for(item, events)
    out = _summary(item) | {
        "dates": {
            "received_at": item.received_at,
            "received_on": item.received_on,
            "due_on": item.due_on,
            "due_without_pauses": item.strict_due_on,
            "extended": item.extended,
            "paused": item.paused,
            "explanation": clock.explain(get_language() or item.language),
        },
        # What happened and when; who did it and why stay on the case page.
        "timeline": [
            {"kind": e.kind, "label": str(e.get_kind_display()), "at": e.at} for e in events
        ],
    }
    if api_keys.has_scope(key, Scope.READ):
        out["subject"] = {
            "email": item.email,
            "name": item.name,
            "phone": item.phone,
            "customer_number": item.customer_number,
            "postal_address": item.postal_address,
        }
    return out


@router.post("/requests", response={201: s.RequestOut, **errors(409, 422)})
def create_request(request: HttpRequest, payload: s.RequestIn) -> Status[object]:
    """File a request received by another channel (intake or officer scope), with the time
    it really arrived."""
    key = key_of(request)
    if not (api_keys.has_scope(key, Scope.INTAKE) or api_keys.has_scope(key, Scope.OFFICER)):
        require(request, Scope.INTAKE)
    if payload.received_at < timezone.now() - MAX_AGE:
        raise RequestError(_("The date of receipt must lie within the last year."))
    subject = payload.subject
    if not any(
        (
            subject.email,
            subject.name,
            subject.phone,
            subject.customer_number,
            subject.postal_address,
        )
    ):
        raise RequestError(_("Give at least one way to identify the person."))
    details = payload.details.strip()
    intake = Intake(
        rights={Right(r): ({"as_received": details} if details else {}) for r in payload.rights},
        subject=SubjectDetails(
            email=subject.email,
            name=subject.name,
            phone=subject.phone,
            customer_number=subject.customer_number,
            postal_address=subject.postal_address,
        ),
        language=payload.language,
        channel=payload.channel,
        received_at=payload.received_at,
        matter=payload.matter,
        extra={"send_verification": payload.send_verification},
    )
    with transaction.atomic():
        item = submit_request(intake=intake, entered_by=key.created_by)
        ApiFiling.objects.create(request=item, key=key)
    concerns(request, item.pk)
    return Status(201, _detail(item, key))


@router.get("/requests", response={200: s.RequestPage, **errors(422)})
def list_requests(
    request: HttpRequest,
    status: Annotated[list[s.StatusName], param.Query([])],
    due: Annotated[str, param.Query("", pattern=r"^(|overdue|paused|[0-9]{1,3})$")],
    page: Annotated[int, param.Query(1, ge=1, le=100_000)],
    right: s.RightName | None = None,
    failed: bool = False,
    language: s.LanguageName | None = None,
    sort: Literal["due", "-due", "received", "-received"] = "due",
) -> dict[str, object]:
    """The open requests, filtered like the staff queue (read or officer scope)."""
    key = require(request, Scope.READ)
    filters = Filters(
        statuses=tuple(status),
        right=right or "",
        due=due,
        failed=failed,
        language=language or "",
        sort=sort,
    )
    items = open_requests(filters, user_id=key.created_by_id, on=today())
    start = (page - 1) * PAGE_SIZE
    return {
        "count": items.count(),
        "page": page,
        "page_size": PAGE_SIZE,
        "items": [_summary(item) for item in items[start : start + PAGE_SIZE]],
    }


@router.post("/requests/search", response={200: list[s.RequestSummary], **errors(422)})
def search_requests(request: HttpRequest, payload: s.RequestSearchIn) -> list[dict[str, object]]:
    """A person's requests, open and closed, by e-mail address (read or officer scope). The
    address goes in the body: never in a URL, where logs and proxies would keep it."""
    require(request, Scope.READ)
    items = SubjectRequest.objects.filter(email__iexact=payload.email.strip()).order_by(
        "-received_at", "-pk"
    )
    return [_summary(item) for item in items[:100]]


@router.get("/requests/{reference}", response={200: s.RequestOut, **errors(404, 422)})
def get_request(request: HttpRequest, reference: Reference) -> dict[str, object]:
    """Status, due dates (with how they were worked out) and timeline. An intake key sees
    only the requests it filed."""
    item = _load(request, reference)
    return _detail(item, key_of(request))


@router.post(
    "/requests/{reference}/messages", response={201: s.MessageOut, **errors(404, 409, 422)}
)
def post_message(
    request: HttpRequest, payload: s.MessageIn, reference: Reference
) -> Status[object]:
    """Write to the requester as the key's officer (officer scope), or record the person's
    answer that came another way (officer scope, or intake for its own requests)."""
    key = key_of(request)
    if payload.direction == "to_requester":
        require(request, Scope.OFFICER)
        item = _load(request, reference)
        message = questions.request_information(
            item, officer=key.created_by, question=payload.body, purpose=payload.purpose
        )
    else:
        if not api_keys.has_scope(key, Scope.INTAKE):
            require(request, Scope.OFFICER)
        item = _load(request, reference)
        message = questions.answer_information(item, body=payload.body)
    return Status(201, message)


@router.get("/requests/{reference}/tasks", response={200: list[s.TaskOut], **errors(404, 422)})
def list_tasks(request: HttpRequest, reference: Reference) -> list[dict[str, object]]:
    """The tasks of the request's manual systems (officer scope)."""
    require(request, Scope.OFFICER)
    item = _load(request, reference)
    tasks = ManualTask.objects.filter(job__request=item).select_related("job").order_by("pk")
    return [
        {
            "id": task.pk,
            "system": task.job.system,
            "action": task.job.action,
            "job_status": task.job.status,
            "completed_at": task.completed_at,
        }
        for task in tasks
    ]


@router.post(
    "/requests/{reference}/tasks/{task_id}/result",
    response={200: s.TaskOut, **errors(404, 409, 422)},
)
def complete_task(
    request: HttpRequest,
    payload: s.TaskResultIn,
    reference: Reference,
    task_id: Id,
) -> dict[str, object]:
    """A manual system's result, as its owner would upload it (officer scope)."""
    require(request, Scope.OFFICER)
    item = _load(request, reference)
    task = ManualTask.objects.select_related("job").filter(pk=task_id, job__request=item).first()
    if task is None:
        raise ApiError(404, "not_found", _("This request has no such task."))
    try:
        content = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(422, "invalid", _("The content is not valid base64.")) from exc
    manual.complete(
        task,
        note=payload.note,
        changed=payload.changed,
        nothing_found=payload.nothing_found,
        upload=Upload(content=content) if content else None,
        filename=payload.filename,
    )
    task.refresh_from_db()
    task.job.refresh_from_db()
    return {
        "id": task.pk,
        "system": task.job.system,
        "action": task.job.action,
        "job_status": task.job.status,
        "completed_at": task.completed_at,
    }


@router.get(
    "/requests/{reference}/packages", response={200: list[s.PackageOut], **errors(404, 422)}
)
def list_packages(request: HttpRequest, reference: Reference) -> list[dict[str, object]]:
    """The request's released answer packages (officer scope)."""
    require(request, Scope.OFFICER)
    item = _load(request, reference)
    packages = AnswerPackage.objects.filter(request=item, released_at__isnull=False)
    return [
        {
            "id": p.pk,
            "created_at": p.created_at,
            "released_at": p.released_at,
            "expires_at": p.expires_at,
            "size": p.size,
            "sha256": p.sha256,
            "available": p.available,
        }
        for p in packages
    ]


@router.get(
    "/requests/{reference}/packages/{package_id}",
    response=errors(404, 409, 410, 422),
    openapi_extra={
        "responses": {
            200: {
                "description": "The answer package (ZIP), checked against its stored hash.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def fetch_package(
    request: HttpRequest,
    reference: Reference,
    package_id: Id,
) -> StreamingHttpResponse:
    """A released answer package, decrypted and checked on the way out (officer scope)."""
    require(request, Scope.OFFICER)
    item = _load(request, reference)
    package = AnswerPackage.objects.filter(pk=package_id, request=item).first()
    if package is None or package.released_at is None:
        raise ApiError(404, "not_found", _("This request has no such released package."))
    if not package.available:
        raise ApiError(410, "gone", _("This package has expired and was deleted."))
    try:
        content = read_package(package)
        first = next(content, b"")  # the whole file is checked before the first chunk
    except FileRefused as exc:
        raise ApiError(409, "file_refused", str(exc)) from exc

    def chunks() -> object:
        yield first
        yield from content

    response = StreamingHttpResponse(chunks(), content_type="application/zip")  # type: ignore[arg-type]
    response["Content-Disposition"] = f'attachment; filename="{item.reference}.zip"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    return response
