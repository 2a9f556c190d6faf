"""Who may see a request's status page (its account holder, or whoever proved the e-mail), and
the language the requester's pages speak."""

import time

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from dsr.models import SubjectRequest

SESSION_KEY = "dsr_status_access"


def grant_status_access(request: HttpRequest, subject_request: SubjectRequest) -> None:
    grants = dict(request.session.get(SESSION_KEY, {}))
    grants[str(subject_request.pk)] = time.time() + settings.DSR_STATUS_ACCESS_HOURS * 3600
    request.session[SESSION_KEY] = grants


def may_see(request: HttpRequest, subject_request: SubjectRequest) -> bool:
    user = request.user
    if user.is_authenticated and subject_request.account_id == user.pk:
        return True
    expiry = request.session.get(SESSION_KEY, {}).get(str(subject_request.pk), 0)
    return bool(expiry > time.time())


def granted_requests(request: HttpRequest) -> list[int]:
    """The requests whose status page this session unlocked with a code (not yet expired)."""
    now = time.time()
    grants = request.session.get(SESSION_KEY, {})
    return sorted(int(pk) for pk, expiry in grants.items() if expiry > now)


def in_request_language(request: HttpRequest, subject_request: SubjectRequest) -> None:
    """The requester's pages (status, verification, reply, download) speak the request's
    language, whatever the browser says, unless the person chose another with the language
    selector (or on their account): that choice is the language cookie. Staff pages never
    call this: they are in the officer's language."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return
    translation.activate(subject_request.language)
    request.LANGUAGE_CODE = subject_request.language
