"""WSGI entry point (gunicorn dsr.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsr.settings")

application = get_wsgi_application()
