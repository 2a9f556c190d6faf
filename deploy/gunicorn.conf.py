"""gunicorn settings for the web nodes (``gunicorn -c deploy/gunicorn.conf.py dsr.wsgi``).

Every value can be changed through the environment, e.g. ``GUNICORN_WORKERS=8``. Web nodes
keep no state: run as many as you like behind the TLS proxy.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads per process: requests wait on the database more than on the CPU.
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Load the project once in the master and fork it: every process (a recycled one too) starts
# warm, with Django and every view imported, and shares those pages of memory. Nothing opens a
# database or broker connection at import time.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Answer packages stream from storage; a slow download must not be cut off too early.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so no slow leak grows for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The TLS proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# No paths in the access log: status pages, verification and system owners' task links carry
# signed tokens in the path (anyone reading the log could use them). Method, status, size, time.
access_log_format = '%(h)s "%(m)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
