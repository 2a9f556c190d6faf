"""OpenDSR inbound: the portal as processor of a registered controller (issue 19, item 2).

A controller sends a request (``POST /opendsr/v1/requests``, or the 1.0 name
``/opendsr/opengdpr_requests``) with its bearer token, signed with the shared secret; the
request becomes a portal request (channel OpenDSR, the controller recorded) that runs through
the same verification, fan-out and answer as any other, in the systems registered for that
controller only. Every change of its OpenDSR status owes a signed callback to each of the
controller's callback URLs (a ``Delivery`` row, retried by the outbox sweep, bound by the
egress allow-list); a completed access answer's ``results_url`` is a signed link to the
released package, valid while the package is, and only with the controller's token.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.egress import EgressRefused, egress_client
from connectors.webhook import OPENDSR, PROTOCOLS, sign
from dsr.core import taskqueue
from dsr.core.controller import get_controller
from dsr.core.crypto import decrypt_text, encrypt_text
from dsr.core.events import record
from dsr.exports.package import read_package
from dsr.models import (
    AnswerPackage,
    Channel,
    Delivery,
    DeliveryState,
    EventKind,
    JobStatus,
    OpenDSRController,
    OpenDSRRequest,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.rights import Right
from dsr.services import withdrawal
from dsr.services.intake import Intake, SubjectDetails, submit_request

CALLBACK_TASK = "dsr.tasks.send_opendsr_callback"
RESULTS_SALT = "dsr.opendsr-results"
REQUEST_TYPES = {"access": Right.ACCESS, "portability": Right.PORTABILITY, "erasure": Right.ERASURE}
# The identities we can act on, as the request's fields (hashes cannot be searched for).
IDENTITIES = {"email": "email", "controller_customer_id": "customer_number"}
# The specification's identity types (section 5.1), and the portal's phone.
IDENTITY_TYPES = frozenset(
    {
        "controller_customer_id",
        "android_advertising_id",
        "android_id",
        "email",
        "fire_advertising_id",
        "ios_advertising_id",
        "ios_vendor_id",
        "microsoft_advertising_id",
        "microsoft_publisher_id",
        "roku_publisher_id",
        "roku_advertising_id",
        "phone",
    }
)
IDENTITY_FORMATS = frozenset({"raw", "sha1", "md5", "sha256"})

_STATUS = {
    Status.RECEIVED: "pending",
    Status.AWAITING_VERIFICATION: "pending",
    Status.VERIFIED: "pending",
    Status.IN_PROGRESS: "in_progress",
    Status.IN_REVIEW: "in_progress",
    Status.COMPLETED: "completed",
    Status.REFUSED: "cancelled",
    Status.WITHDRAWN: "cancelled",
}


class Invalid(Exception):
    """A request that breaks the specification: 400, in the specification's error shape. The
    message names fields, never their values (they may be identities)."""

    def __init__(self, message: str, *, reason: str = "IllegalArgumentException") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class Conflict(Invalid):
    """The same subject_request_id again, or a cancellation of a request under way."""


@dataclass(frozen=True)
class Credentials:
    token: str
    secret: str


# --- the registration ---------------------------------------------------------------------


def issue_credentials(controller: OpenDSRController) -> Credentials:
    """New bearer token and shared secret for a controller (shown once to the admin)."""
    credentials = Credentials(token=secrets.token_urlsafe(32), secret=secrets.token_urlsafe(32))
    controller.token_hash = token_hash(credentials.token)
    controller.secret_encrypted = encrypt_text(credentials.secret)
    return credentials


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(authorization: str) -> OpenDSRController | None:
    """The active controller whose bearer token this is."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return OpenDSRController.objects.filter(
        token_hash=token_hash(token.strip()), active=True
    ).first()


def secret_of(controller: OpenDSRController) -> str:
    return decrypt_text(controller.secret_encrypted)


def processor_domain() -> str:
    return urlsplit(settings.DSR_BASE_URL).hostname or ""


def discovery(version: str) -> dict[str, Any]:
    return {
        "api_version": version,
        "supported_identities": [
            {"identity_type": kind, "identity_format": "raw"} for kind in IDENTITIES
        ],
        "supported_subject_request_types": list(REQUEST_TYPES),
        # We sign with the shared secret of each controller (HMAC-SHA256 over
        # "timestamp.body"), not with a certificate: there is none to publish.
        "processor_certificate": None,
        "signature_scheme": "hmac-sha256",
    }


# --- create, status, cancel -----------------------------------------------------------------


def _parsed(payload: Any, version: str) -> dict[str, Any]:
    """The request's fields, checked against the specification's text."""
    if not isinstance(payload, dict):
        raise Invalid("the body must be a JSON object")
    if version != "1.0":  # 1.0 has no regulation
        if "regulation" not in payload:
            raise Invalid("regulation field is required")
        if payload["regulation"] not in ("gdpr", "ccpa"):
            raise Invalid("regulation must be gdpr or ccpa")
    raw_id = payload.get("subject_request_id")
    if not raw_id:
        raise Invalid("subject_request_id field is required")
    try:
        request_id = uuid.UUID(str(raw_id))
    except ValueError:
        raise Invalid("subject_request_id must be a UUID") from None
    if request_id.version != 4 or str(request_id) != raw_id:
        raise Invalid("subject_request_id must be a lowercase UUID v4")
    kind = payload.get("subject_request_type")
    if not kind:
        raise Invalid("subject_request_type field is required")
    if kind not in REQUEST_TYPES:
        raise Invalid("subject_request_type must be erasure, portability or access")
    submitted = payload.get("submitted_time")
    if not submitted:
        raise Invalid("submitted_time field is required")
    parsed_time = parse_datetime(str(submitted)) if isinstance(submitted, str) else None
    if parsed_time is None or parsed_time.tzinfo is None:
        raise Invalid("submitted_time must be an RFC 3339 date-time")
    identities = payload.get("subject_identities")
    if not isinstance(identities, list) or not identities:
        raise Invalid("subject_identities must list at least one identity")
    found: dict[str, str] = {}
    for index, identity in enumerate(identities):
        if not isinstance(identity, dict):
            raise Invalid(f"subject_identities[{index}] must be an object")
        kind_of = identity.get("identity_type")
        form = identity.get("identity_format")
        value = identity.get("identity_value")
        if kind_of not in IDENTITY_TYPES:
            raise Invalid(f"subject_identities[{index}].identity_type is not supported")
        if form not in IDENTITY_FORMATS:
            raise Invalid(f"subject_identities[{index}].identity_format is not supported")
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"subject_identities[{index}].identity_value is required")
        if form == "raw" and kind_of in IDENTITIES:
            found.setdefault(IDENTITIES[kind_of], value.strip())
    if not found:
        raise Invalid(
            "subject_identities holds no identity we can act on (raw email or "
            "controller_customer_id)",
            reason="UnsupportedIdentity",
        )
    if "email" in found and ("@" not in found["email"] or len(found["email"]) > 254):
        raise Invalid("an email identity_value is not an e-mail address")
    callbacks = payload.get("status_callback_urls") or []
    if not isinstance(callbacks, list) or not all(isinstance(u, str) for u in callbacks):
        raise Invalid("status_callback_urls must be a list of URLs")
    extensions = payload.get("extensions", {})
    if not isinstance(extensions, dict):
        raise Invalid("extensions must be an object")
    return {
        "id": request_id,
        "right": REQUEST_TYPES[kind],
        "identities": found,
        "callbacks": callbacks,
        "regulation": str(payload.get("regulation") or "gdpr"),
    }


def _check_callbacks(controller: OpenDSRController, urls: list[str]) -> None:
    """Callbacks go to the controller's own domain (or below it), over https unless the host
    is allow-listed; the egress check runs again when each is sent."""
    domain = controller.domain.lower()
    allowed = {h.lower() for h in settings.DSR_WEBHOOK_ALLOWED_HOSTS}
    for index, url in enumerate(urls):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or (
            parts.scheme == "http" and host not in allowed
        ):
            raise Invalid(f"status_callback_urls[{index}] must be an https URL")
        if host != domain and not host.endswith(f".{domain}"):
            raise Invalid(f"status_callback_urls[{index}] is not on the controller's domain")


@transaction.atomic
def create(
    *, controller: OpenDSRController, payload: Any, raw: bytes, version: str
) -> dict[str, Any]:
    """Open the portal request for an OpenDSR request; the create response's fields."""
    fields = _parsed(payload, version)
    _check_callbacks(controller, fields["callbacks"])
    if OpenDSRRequest.objects.filter(
        controller=controller, subject_request_id=fields["id"]
    ).exists():
        raise Conflict("subject_request_id was sent before", reason="DuplicateRequest")
    identities = fields["identities"]
    details: dict[str, Any] = {"scope": "all"} if fields["right"] == Right.ERASURE else {}
    request = submit_request(
        intake=Intake(
            rights={fields["right"]: details},
            subject=SubjectDetails(
                email=identities.get("email", ""),
                customer_number=identities.get("customer_number", ""),
            ),
            language=controller.language,
            channel=Channel.OPENDSR,
        ),
        verified_as=VerificationMethod.CONTROLLER if controller.verified_by_controller else "",
        acknowledgement="received",
    )
    inbound = OpenDSRRequest.objects.create(
        controller=controller,
        subject_request_id=fields["id"],
        request=request,
        api_version=version,
        regulation=fields["regulation"],
        callback_urls=fields["callbacks"],
        received_at=request.received_at,
    )
    response = {
        "controller_id": controller.domain,
        "expected_completion_time": expected_completion(request),
        "received_time": _rfc3339(inbound.received_at),
        "encoded_request": base64.b64encode(raw).decode(),
        "subject_request_id": str(inbound.subject_request_id),
    }
    return signed_body(controller, response)


def find(controller: OpenDSRController, request_id: str) -> OpenDSRRequest | None:
    try:
        key = uuid.UUID(request_id)
    except ValueError:
        return None
    return (
        OpenDSRRequest.objects.select_related("request", "controller")
        .filter(controller=controller, subject_request_id=key)
        .first()
    )


def status_of(inbound: OpenDSRRequest) -> dict[str, Any]:
    """The status body (also the callback's, which adds ``status_callback_url``)."""
    request = inbound.request
    body: dict[str, Any] = {
        "controller_id": inbound.controller.domain,
        "expected_completion_time": expected_completion(request),
        "subject_request_id": str(inbound.subject_request_id),
        "request_status": _STATUS[Status(request.status)],
        "api_version": inbound.api_version,
    }
    if body["request_status"] == "completed":
        package = released_package(request)
        if package is not None:
            body["results_url"] = results_url(inbound, package)
            body["results_count"] = package.records
        else:
            erased = [
                job.result
                for job in request.jobs.filter(action="erase", status=JobStatus.SUCCEEDED)
            ]
            if erased:
                body["results_count"] = sum(
                    int(r.get("erased", 0)) + int(r.get("anonymised", 0)) for r in erased
                )
    return body


@transaction.atomic
def cancel(inbound: OpenDSRRequest) -> dict[str, Any]:
    """Withdraw the portal request while it is pending (before any system is asked)."""
    request = SubjectRequest.objects.select_for_update().get(pk=inbound.request_id)
    if _STATUS[Status(request.status)] != "pending":
        raise Conflict("the request is no longer pending", reason="NotPending")
    withdrawal.withdraw(request)
    response = {
        "controller_id": inbound.controller.domain,
        "received_time": _rfc3339(timezone.now()),
        "subject_request_id": str(inbound.subject_request_id),
        "api_version": inbound.api_version,
    }
    return signed_body(inbound.controller, response)


def signed_body(controller: OpenDSRController, body: dict[str, Any]) -> dict[str, Any]:
    """``processor_signature``: base64 of the HMAC-SHA256 (with the shared secret) of the
    other fields as canonical JSON (sorted keys, no spaces); the specification leaves the
    serialisation of "the body of the response" open, and the body cannot hold its own
    signature."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    digest = hmac.new(secret_of(controller).encode(), canonical, hashlib.sha256).digest()
    return body | {"processor_signature": base64.b64encode(digest).decode()}


def response_headers(controller: OpenDSRController, raw: bytes, version: str) -> dict[str, str]:
    names = PROTOCOLS.get(version, OPENDSR)
    return {**sign(secret_of(controller), raw, version=names), names.domain: processor_domain()}


def expected_completion(request: SubjectRequest) -> str:
    """The statutory due date, at the end of that day in the controller's time zone."""
    zone = zoneinfo.ZoneInfo(get_controller().time_zone)
    return _rfc3339(datetime.combine(request.due_on, time(23, 59, 59), tzinfo=zone))


def _rfc3339(at: datetime) -> str:
    return (
        at.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


# --- the results ----------------------------------------------------------------------------


def released_package(request: SubjectRequest) -> AnswerPackage | None:
    for package in request.packages.all():
        if package.available:
            return package
    return None


def results_url(inbound: OpenDSRRequest, package: AnswerPackage) -> str:
    token = signing.dumps({"o": inbound.pk, "p": package.pk}, salt=RESULTS_SALT, compress=True)
    return str(settings.DSR_BASE_URL) + reverse("opendsr:results", args=[token])


def for_download(
    token: str, controller: OpenDSRController
) -> tuple[OpenDSRRequest, AnswerPackage] | None:
    """The package a results link gives to the controller it was made for, or None: forged,
    another controller's, or the package expired or gone."""
    try:
        values = signing.loads(token, salt=RESULTS_SALT)
    except signing.BadSignature:
        return None
    inbound = OpenDSRRequest.objects.filter(pk=values.get("o"), controller=controller).first()
    if inbound is None:
        return None
    package = AnswerPackage.objects.filter(pk=values.get("p"), request=inbound.request).first()
    if package is None or not package.available:
        return None
    return inbound, package


def download(inbound: OpenDSRRequest, package: AnswerPackage) -> Iterator[bytes]:
    content = read_package(package)
    record(
        inbound.request,
        EventKind.ANSWER_DOWNLOADED,
        data={"package": package.pk, "opendsr_controller": inbound.controller.pk},
    )
    return content


# --- the callbacks --------------------------------------------------------------------------


def status_changed(request: SubjectRequest, old: str, new: str) -> None:
    """Owe a callback to each of the controller's URLs when the OpenDSR status changes."""
    if old == new or request.channel != Channel.OPENDSR:
        return
    if old and _STATUS.get(Status(old)) == _STATUS.get(Status(new)):
        return
    inbound = OpenDSRRequest.objects.filter(request=request).first()
    if inbound is None:
        return  # still being created: its first status is the create response
    status = _STATUS[Status(new)]
    for index, _url in enumerate(inbound.callback_urls):
        taskqueue.owe(
            CALLBACK_TASK,
            inbound.pk,
            index,
            label="opendsr_callback",
            request_id=request.pk,
            key=f"opendsr-callback:{inbound.pk}:{index}:{status}",
            repeatable=True,
        )


class CallbackFailed(ConnectionError):
    """The controller's endpoint did not take the callback: worth trying again (an OSError,
    so the outbox retries it with backoff)."""


def deliver_callback(inbound_id: int, index: int) -> bool:
    """POST the current status, signed, to one callback URL; False if there is none (more)."""
    inbound = (
        OpenDSRRequest.objects.select_related("request", "controller").filter(pk=inbound_id).first()
    )
    if inbound is None or index >= len(inbound.callback_urls):
        return False
    url = inbound.callback_urls[index]
    body = status_of(inbound) | {"status_callback_url": url}
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        **response_headers(inbound.controller, raw, inbound.api_version),
    }
    try:
        with egress_client(timeout=30) as client:
            response = client.post(url, content=raw, headers=headers)
    except EgressRefused as exc:
        raise ValueError(f"callback address refused ({exc})") from exc  # not retried
    except httpx.HTTPError as exc:
        raise CallbackFailed(f"callback not delivered ({type(exc).__name__})") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise CallbackFailed(f"callback answered {response.status_code}")
    if response.status_code >= 400:
        raise ValueError(f"callback refused ({response.status_code})")
    return True


def callbacks_sent(inbound: OpenDSRRequest) -> Mapping[str, int]:
    """How many callbacks were sent, by status (for the case page and the tests)."""
    counts: dict[str, int] = {}
    for key in Delivery.objects.filter(
        key__startswith=f"opendsr-callback:{inbound.pk}:", state=DeliveryState.SENT
    ).values_list("key", flat=True):
        status = key.rsplit(":", 1)[1]
        counts[status] = counts.get(status, 0) + 1
    return counts
