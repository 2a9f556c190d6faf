"""Staff sessions end after ``DSR_STAFF_IDLE_MINUTES`` without activity and at the latest
``DSR_STAFF_SESSION_HOURS`` after the login, "remember me" or not. Data subjects' sessions
are left as allauth and Django make them.

The session remembers when it began and when it was last used, and this middleware signs the
person out, with a message on the login page, once either limit is passed. The cookie and the
stored session expire at the absolute limit plus ``GRACE_SECONDS`` (the time in which someone
who comes back still reads why they were signed out), whatever "remember me" asked for.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

from accounts.roles import is_officer

STARTED = "accounts.staff_session.started"
LAST_ACTIVE = "accounts.staff_session.last_active"
GRACE_SECONDS = 3600
# Activity is recorded to the minute: a page costs no session write when the last one was
# written less than this ago (an idle limit counts in minutes).
ACTIVITY_RESOLUTION_SECONDS = 60


def idle_seconds() -> int:
    return int(settings.DSR_STAFF_IDLE_MINUTES) * 60


def longest_seconds() -> int:
    return int(settings.DSR_STAFF_SESSION_HOURS) * 3600


def started(request: HttpRequest, **kwargs: Any) -> None:
    """``user_logged_in``: the absolute limit counts from here (for every account: a data
    subject may be given a role later)."""
    if hasattr(request, "session"):
        request.session[STARTED] = time.time()
        request.session[LAST_ACTIVE] = time.time()


def _activity(request: HttpRequest) -> bool:
    # A page that refreshes itself (htmx polling, e.g. the outbox) is not a person at work.
    return not (request.method == "GET" and request.headers.get("HX-Request") == "true")


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_officer(getattr(request, "user", None)):
            ended = self._end_if_over(request)
            if ended is not None:
                return ended
        response = self.get_response(request)
        # After the view: the login itself (allauth sets "remember me" there) is bounded too.
        if is_officer(getattr(request, "user", None)):
            self._bound(request)
        return response

    def _end_if_over(self, request: HttpRequest) -> HttpResponse | None:
        now = time.time()
        session = request.session
        began = session.get(STARTED)
        last = session.get(LAST_ACTIVE, began)
        if isinstance(last, (int, float)) and now - last > idle_seconds():
            minutes = settings.DSR_STAFF_IDLE_MINUTES
            text = ngettext(
                "You were signed out after %(minutes)s minute without activity. "
                "Please sign in again.",
                "You were signed out after %(minutes)s minutes without activity. "
                "Please sign in again.",
                minutes,
            ) % {"minutes": minutes}
        elif isinstance(began, (int, float)) and now - began > longest_seconds():
            hours = settings.DSR_STAFF_SESSION_HOURS
            text = ngettext(
                "Staff sessions last at most %(hours)s hour. Please sign in again.",
                "Staff sessions last at most %(hours)s hours. Please sign in again.",
                hours,
            ) % {"hours": hours}
        else:
            stale = not isinstance(last, (int, float)) or now - last >= ACTIVITY_RESOLUTION_SECONDS
            if _activity(request) and stale:
                session[LAST_ACTIVE] = now
            return None
        logout(request)
        messages.info(request, text)
        return redirect_to_login(request.get_full_path())

    def _bound(self, request: HttpRequest) -> None:
        now = time.time()
        session = request.session
        began = session.setdefault(STARTED, now)  # a session from before this check
        session.setdefault(LAST_ACTIVE, now)
        ends = datetime.fromtimestamp(float(began) + longest_seconds() + GRACE_SECONDS, tz=UTC)
        # As a moment, not seconds from now: the same on every page, so no page writes it again.
        if session.get("_session_expiry") != ends.isoformat():
            session.set_expiry(ends)
