"""The API's errors: JSON with a stable code and a message in the caller's language."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dsr.core.errors import RequestError


class ErrorDetail(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    errors: list[ErrorDetail] = []


class ErrorOut(Schema):
    """``code`` is stable (programs test it); ``message`` follows Accept-Language."""

    error: ErrorBody


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("There is no such request, or this key may not see it."))


def body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": errors or []}}


def _field(location: Any) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "payload")]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    """Replace ninja's handlers: every error the API answers has the one shape."""

    def respond(request: HttpRequest, status: int, data: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, data, status=status)

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, body(exc.code, exc.message))

    def refused(request: HttpRequest, exc: RequestError) -> HttpResponse:
        return respond(request, 409, body("refused", str(exc)))

    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # The value the caller sent is not echoed: it may be personal data.
        errors = [
            {"field": _field(e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        return respond(request, 422, body("invalid", _("The request is not valid."), errors))

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            body("unauthenticated", _("A valid API key is needed (Authorization: Bearer ...).")),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return respond(request, 400, body("bad_request", _("The request cannot be read.")))
        return respond(request, exc.status_code, body("error", _("The request failed.")))

    def missing(request: HttpRequest, exc: Http404 | type[Http404]) -> HttpResponse:
        return respond(request, 404, body("not_found", _("Not found.")))

    api.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestError, refused)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, invalid)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, unauthenticated)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, missing)
