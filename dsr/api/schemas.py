"""What the API takes and gives. Strings are bounded and never hold NUL (the database would
refuse it); no value the caller sent is echoed back in an error."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, field_validator

from dsr.models import Channel, Matter, QuestionPurpose, Status
from dsr.rights import Right

NO_NUL = r"^[^\x00]*$"

# The choices are the models' own (the schema lists their values); the languages are those of
# settings.LANGUAGES (tests/dsr/api/test_schema.py checks that they still are).
RightName = Right
ChannelName = Channel
StatusName = Status
PurposeName = QuestionPurpose
MatterName = Matter | Literal[""]
LanguageName = Literal["en", "de", "nl"]


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("not a valid e-mail address") from exc
    return value


Email = Annotated[str, Field(max_length=254, pattern=NO_NUL), AfterValidator(_email)]


def text(max_length: int, **kwargs: Any) -> Any:
    return Field(max_length=max_length, pattern=NO_NUL, **kwargs)


class SubjectIn(Schema):
    """Who the request is about: the identifiers the source systems are searched by."""

    email: Email = ""
    name: str = text(200, default="")
    phone: str = text(40, default="")
    customer_number: str = text(64, default="")
    postal_address: str = text(1000, default="")


class RequestIn(Schema):
    rights: list[RightName] = Field(min_length=1, max_length=len(Right.values))
    channel: ChannelName
    received_at: datetime = Field(
        description="When the request really arrived (RFC 3339 with an offset); the statutory "
        "clock starts then. Within the last year, not in the future."
    )
    language: LanguageName = "en"
    subject: SubjectIn
    details: str = text(5000, default="", description="What the person asked, as received.")
    matter: MatterName = ""
    send_verification: bool = Field(
        default=False, description="E-mail the person a link to confirm their address."
    )

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("give the time with its offset, e.g. 2026-01-31T09:30:00+01:00")
        return value


class RequestSearchIn(Schema):
    """A search by e-mail address in the body, never in a URL."""

    email: Email = Field(min_length=3)


class DueDates(Schema):
    received_at: datetime
    received_on: date
    due_on: date
    due_without_pauses: date
    extended: bool
    paused: bool
    explanation: str


class TimelineEntry(Schema):
    kind: str
    label: str
    at: datetime


class SubjectOut(Schema):
    email: str
    name: str
    phone: str
    customer_number: str
    postal_address: str


class RequestSummary(Schema):
    reference: str
    status: str
    status_label: str
    rights: list[str]
    channel: str
    language: str
    received_at: datetime
    due_on: date
    paused: bool


class RequestOut(RequestSummary):
    dates: DueDates
    timeline: list[TimelineEntry]
    subject: SubjectOut | None = Field(
        default=None, description="Only for keys with the read or officer scope."
    )


class RequestPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RequestSummary]


class MessageIn(Schema):
    direction: Literal["to_requester", "from_requester"] = Field(
        description="to_requester: an officer's question or message (officer scope); "
        "from_requester: the person's answer, received another way."
    )
    body: str = text(10000, min_length=1)
    purpose: PurposeName = Field(
        default=QuestionPurpose.OTHER,
        description="What a question to the requester is for: only identity, authority and "
        "scope stop the clock.",
    )


class MessageOut(Schema):
    id: int
    direction: str
    created_at: datetime
    awaits_answer: bool


class TaskOut(Schema):
    id: int
    system: str
    action: str
    job_status: str
    completed_at: datetime | None


class TaskResultIn(Schema):
    note: str = text(500, default="")
    nothing_found: bool = False
    changed: int = Field(default=0, ge=0, le=1_000_000)
    filename: str = text(200, default="", description="Tells CSV from JSON (.csv, .json).")
    content_base64: str = Field(
        default="",
        max_length=14_000_000,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description="The exported data (CSV, JSON or PDF), base64-encoded.",
    )


class PackageOut(Schema):
    id: int
    created_at: datetime
    released_at: datetime | None
    expires_at: datetime | None
    size: int
    sha256: str
    available: bool
