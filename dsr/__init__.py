"""The DSR portal: project package and the case domain."""

from dsr.celery import app as celery_app

__all__ = ("celery_app",)
