"""The test suite: pytest-django against real PostgreSQL, Redis, Celery, WeasyPrint and Chromium."""
