"""Handing work to Celery by task name, after the transaction commits.

By name, not by importing the task: a task module imports the code it runs, and that code is
what asks for the task, so importing the task here would close a circle. Every task module is
imported when Django starts (``DsrConfig.ready``), so a name always finds its task, eager mode
in the tests included.
"""

from typing import Any

from celery import signature
from django.db import transaction


def send(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task now (the caller has committed, or runs outside a transaction)."""
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    signature(name, args=args).apply_async(**options)


def send_on_commit(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queue the task once the surrounding transaction has committed (never if it rolls back)."""
    transaction.on_commit(lambda: send(name, *args, countdown=countdown))
