"""The JSON API under /api/v1/: its schema at /api/v1/schema, browsable docs at /api/v1/docs.

The schema and docs are for developers and in English; the errors a caller gets are in the
language of its Accept-Language header.
"""

from ninja import NinjaAPI

from dsr.api import errors
from dsr.api.auth import KeyAuth
from dsr.api.requests import router

api = NinjaAPI(
    title="DSR portal API",
    version="1",
    description=(
        "Requests from other channels, their status, due dates and timeline, messages, "
        "manual systems' results and answer packages. Authenticate with an API key a privacy "
        "admin created: `Authorization: Bearer <key>`. Errors are "
        '`{"error": {"code", "message", "errors"}}`: the code is stable, the message follows '
        "Accept-Language."
    ),
    auth=KeyAuth(),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
)
errors.install(api)
api.add_router("/", router)
