"""Reachability of the parts the portal needs: database, broker, at least one worker."""

from dataclasses import dataclass

from celery import Celery
from django.db import connection

from dsr.celery import app as default_app


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check("database", False, type(exc).__name__)
    return Check("database", True, connection.vendor)


def check_broker(app: Celery = default_app) -> Check:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            _ = conn.default_channel  # opening a channel talks to the server (Redis: PING)
            transport = conn.transport_cls
    except Exception as exc:
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True, str(transport))


def check_workers(app: Celery = default_app, timeout: float = 1.5) -> Check:
    try:
        replies = app.control.ping(timeout=timeout)
    except Exception as exc:
        return Check("worker", False, type(exc).__name__)
    if not replies:
        return Check("worker", False, "no worker answered")
    return Check("worker", True, f"{len(replies)} answering")


def run_checks(app: Celery = default_app) -> list[Check]:
    checks = [check_database(), check_broker(app)]
    if checks[1].ok:
        checks.append(check_workers(app))
    else:
        checks.append(Check("worker", False, "broker unreachable"))
    return checks
