"""Settings for the DSR portal, read from the environment through django-environ.

With nothing configured the portal runs embedded: SQLite, a filesystem Celery broker, the
local e-mail outbox and files, all under ``var/``. Every variable is listed in .env.example.
"""

from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets admin classes be written as ModelAdmin[Model] for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("DSR_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    # Only ever used in development: production has no default and refuses to start.
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="insecure-development-key-do-not-use-in-production-0123456789",
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# Fernet keys for data at rest (TOTP secrets, ID documents, answer packages); first one encrypts.
DSR_ENCRYPTION_KEYS = (
    env.list("DSR_ENCRYPTION_KEY", default=[]) if DEBUG else env.list("DSR_ENCRYPTION_KEY")
)

# Keys of the audit chain's HMAC, outside the database (the first signs, all verify). Default:
# derived from each DSR_ENCRYPTION_KEY (in development from the secret key), so rotating that
# key keeps old entries verifiable while the old key is still listed.
DSR_AUDIT_KEYS = env.list("DSR_AUDIT_KEY", default=[])
# The seq of the entry from which the chain is keyed (``dsr_audit verify`` prints it): pins
# the switch outside the database, so no later unkeyed entry is ever accepted. 0 = not pinned.
DSR_AUDIT_KEYED_FROM = env.int("DSR_AUDIT_KEYED_FROM", default=0)

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL, used in links in e-mails and letters.
DSR_BASE_URL = env.str("DSR_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts",
    "dsr",
    "connectors",
    "dsr.apps.DSRAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's form templates, for the renderer below
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",  # the JSON API's schema and docs pages, with their static files (dsr/api/)
]

MIDDLEWARE = [
    "dsr.core.controller.OncePerRequest",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy, and no-store on every page that may show personal data.
    "dsr.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language: every call to the JSON API with a valid key is audited (dsr/api/).
    "dsr.api.middleware.ApiAuditMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.AccountLanguageMiddleware",
    "accounts.middleware.ControllerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After the account and the messages: staff sessions end when idle or too old, and staff
    # enrol an authenticator only through an invitation (accounts.invitations).
    "accounts.staff_sessions.StaffSessionMiddleware",
    "accounts.enrolment.StaffEnrolmentMiddleware",
    # After the session, the account and the language: Sec-GPC: 1 objects (Art. 21(5)).
    "dsr.views.gpc.GlobalPrivacyControlMiddleware",
]

# No inline script, no inline style, no framing, forms post only to us (README, "Security").
DSR_CONTENT_SECURITY_POLICY = env.str(
    "DSR_CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self';"
        " base-uri 'none'; object-src 'none'"
    ),
)

ROOT_URLCONF = "dsr.urls"
WSGI_APPLICATION = "dsr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dsr.context_processors.portal",
            ],
        },
    },
]

# Forms render through Django's templates with the project's Bootstrap overrides
# (templates/django/forms/, dsr/form_rendering.py): no page writes widget HTML by hand.
FORM_RENDERER = "dsr.form_rendering.PortalFormRenderer"

# --- Database -------------------------------------------------------------------------------

_SQLITE_URL = f"sqlite:///{VAR_DIR / 'dsr.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_SQLITE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL and IMMEDIATE transactions keep them from
    # tripping over each other's locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits live here, so it must be shared between processes) --------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("DSR_CACHE_PREFIX", default="dsr"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# The same answer in the same time for a known address (accounts.signup).
ACCOUNT_FORMS = {"signup": "accounts.signup.SignupForm"}
ACCOUNT_RATE_LIMITS_ENABLED = env.bool("DSR_RATE_LIMITS", default=True)
if not ACCOUNT_RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False

# Staff: an authenticator is enrolled only through an invitation (accounts.invitations), whose
# link works for this many hours; a staff session ends after this many minutes without activity
# and this many hours after the login, "remember me" or not (accounts.staff_sessions).
DSR_STAFF_INVITE_HOURS = env.int("DSR_STAFF_INVITE_HOURS", default=48)
DSR_STAFF_IDLE_MINUTES = env.int("DSR_STAFF_IDLE_MINUTES", default=30)
DSR_STAFF_SESSION_HOURS = env.int("DSR_STAFF_SESSION_HOURS", default=10)
if min(DSR_STAFF_INVITE_HOURS, DSR_STAFF_IDLE_MINUTES, DSR_STAFF_SESSION_HOURS) < 1:
    raise ImproperlyConfigured(
        "DSR_STAFF_INVITE_HOURS, DSR_STAFF_IDLE_MINUTES and DSR_STAFF_SESSION_HOURS must be "
        "1 or more."
    )

MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("DSR_TOTP_ISSUER", default="DSR portal")
# One step either side: a code typed as it rolls over, or sent while the server is busy, still
# counts. accounts.forms refuses a used code for the whole window this opens.
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "authenticate": "accounts.forms.OnceAuthenticateForm",
    "reauthenticate": "accounts.forms.OnceReauthenticateForm",
}
# Passkeys need a secure origin; plain http://127.0.0.1 is allowed only while developing.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["dsr.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"  # stored times are UTC; the controller's time zone decides receipt dates
USE_I18N = True
USE_TZ = True

# --- Static files and storage -----------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DSR_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("DSR_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served publicly: downloads go through views that check access

_S3_BUCKET = env.str("DSR_S3_BUCKET", default="")
if _S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _S3_BUCKET,
            "endpoint_url": env.str("DSR_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DSR_S3_REGION", default="") or None,
            "access_key": env.str("DSR_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("DSR_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="privacy@example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default="") or not DEBUG:
    # Production must send real mail: the outbox keeps codes and links readable by staff.
    globals().update(env.email_url("EMAIL_URL"))
else:
    # Embedded mode: mail is kept in the database and shown on the staff outbox page.
    EMAIL_BACKEND = "dsr.core.outbox.OutboxEmailBackend"
DSR_OUTBOX_PRINT = env.bool("DSR_OUTBOX_PRINT", default=DEBUG)
DSR_OUTBOX_RETENTION_DAYS = env.int("DSR_OUTBOX_RETENTION_DAYS", default=14)
# Owed work (e-mails, answer packages; dsr.core.taskqueue): how long a worker holds one before
# the sweep takes it back, how long a published one may wait before it is published again,
# and how often and how far apart a transient failure is tried again.
DSR_DELIVERY_LEASE_SECONDS = env.int("DSR_DELIVERY_LEASE_SECONDS", default=1860)
DSR_DELIVERY_GRACE_SECONDS = env.int("DSR_DELIVERY_GRACE_SECONDS", default=120)
DSR_DELIVERY_BACKOFF_SECONDS = env.int("DSR_DELIVERY_BACKOFF_SECONDS", default=30)
DSR_DELIVERY_BACKOFF_MAX_SECONDS = env.int("DSR_DELIVERY_BACKOFF_MAX_SECONDS", default=3600)
DSR_DELIVERY_MAX_ATTEMPTS = env.int("DSR_DELIVERY_MAX_ATTEMPTS", default=10)

# --- Celery -------------------------------------------------------------------------------------

_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within this time is delivered again (acks_late), so every
    # task time limit below must stay under it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "global_keyprefix": env.str("CELERY_KEY_PREFIX", default=""),
    }
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=1800)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1500)
CELERY_TASK_SERIALIZER = "json"
# Schedules with a time of day (the officers' digest) follow the controller's clock.
CELERY_TIMEZONE = env.str("DSR_TIME_ZONE", default="Europe/Berlin")
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "dsr.processing.tasks.*": {"queue": "connectors"},
    "dsr.exports.tasks.*": {"queue": "exports"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# Periodic jobs; later features (sweeps, reminders, purges) add their entries here.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "purge-outbox": {"task": "dsr.tasks.purge_outbox", "schedule": 3600.0},
    "sweep-unverified": {"task": "dsr.tasks.sweep_unverified", "schedule": 3600.0},
    "audit-catch-up": {"task": "dsr.tasks.audit_catch_up", "schedule": 300.0},
    "officer-digests": {
        "task": "dsr.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0),  # 07:00 in CELERY_TIMEZONE
    },
    "purge-orphan-uploads": {"task": "dsr.tasks.purge_orphan_uploads", "schedule": 3600.0},
    "purge-expired-packages": {"task": "dsr.tasks.purge_expired_packages", "schedule": 3600.0},
    "refresh-paused-clocks": {"task": "dsr.tasks.refresh_open_clocks", "schedule": 6 * 3600.0},
    "sweep-connector-jobs": {"task": "dsr.processing.tasks.sweep", "schedule": 60.0},
    "sweep-deliveries": {"task": "dsr.tasks.sweep_deliveries", "schedule": 60.0},
    "webhook-overdue": {"task": "dsr.tasks.webhook_overdue", "schedule": 3600.0},
    "scheduled-erasures": {"task": "dsr.processing.tasks.scheduled_erasures", "schedule": 3600.0},
    "manual-task-reminders": {"task": "dsr.processing.tasks.manual_reminders", "schedule": 3600.0},
    "purge-records": {
        "task": "dsr.tasks.purge_records",
        "schedule": crontab(hour=3, minute=30),  # daily, at a quiet hour
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- The controller (seeds the editable record in the database) ------------------------------

DSR_CONTROLLER = {
    "name": env.str("DSR_CONTROLLER_NAME", default="Example Controller Ltd"),
    "address": env.str("DSR_CONTROLLER_ADDRESS", default=""),
    "email": env.str("DSR_CONTROLLER_EMAIL", default=DEFAULT_FROM_EMAIL),
    "dpo_name": env.str("DSR_DPO_NAME", default=""),
    "dpo_contact": env.str("DSR_DPO_CONTACT", default=""),
    "country": env.str("DSR_COUNTRY", default="DE"),
    "subdivision": env.str("DSR_SUBDIVISION", default=""),
    "time_zone": env.str("DSR_TIME_ZONE", default="Europe/Berlin"),
    # "Name|address|website|matter" entries separated by ";;" (matter: see .env.example)
    "authorities": env.str("DSR_SUPERVISORY_AUTHORITIES", default=""),
}

# --- Requests: verification, the clock, uploads, abuse limits ----------------------------------

# The officers' daily digest: requests due within this many days.
DSR_DIGEST_DAYS = env.int("DSR_DIGEST_DAYS", default=7)
DSR_VERIFICATION_TTL_HOURS = env.int("DSR_VERIFICATION_TTL_HOURS", default=24)
DSR_VERIFICATION_MAX_ATTEMPTS = env.int("DSR_VERIFICATION_MAX_ATTEMPTS", default=5)
DSR_VERIFICATION_RESEND_SECONDS = env.int("DSR_VERIFICATION_RESEND_SECONDS", default=60)
# Wrong codes across all the codes of one request, before an officer has to step in.
DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS = env.int("DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS", default=15)
DSR_VERIFICATION_REMINDER_DAYS = env.int("DSR_VERIFICATION_REMINDER_DAYS", default=3)
DSR_UNVERIFIED_EXPIRY_DAYS = env.int("DSR_UNVERIFIED_EXPIRY_DAYS", default=14)
DSR_STATUS_ACCESS_HOURS = env.int("DSR_STATUS_ACCESS_HOURS", default=2)
# Requests for the same right by the same person received within this many days of each other
# are one request: the later is linked to the earlier and answered with it.
DSR_DUPLICATE_WINDOW_DAYS = env.int("DSR_DUPLICATE_WINDOW_DAYS", default=7)
# Status links work while the request is open and this many days after it was closed (an
# account holder signed in still sees it; everyone else asks the privacy team).
DSR_STATUS_LINK_DAYS = env.int("DSR_STATUS_LINK_DAYS", default=90)
# E-mails with a status-page code one request may get ("count/seconds"), whoever asks.
DSR_RATE_STATUS_CODES_PER_REQUEST = env.str("DSR_RATE_STATUS_CODES_PER_REQUEST", default="5/86400")
# EDPB Guidelines 01/2022 §159: a request for information stops the clock only if sent without
# undue delay; this many working days after receipt.
DSR_PAUSE_UNDUE_DELAY_WORKING_DAYS = env.int("DSR_PAUSE_UNDUE_DELAY_WORKING_DAYS", default=3)
# UK ICO practice: the month restarts when the requested information arrives. Off in the EU.
DSR_UK_PAUSE_MODE = env.bool("DSR_UK_PAUSE_MODE", default=False)
DSR_UPLOAD_MAX_BYTES = env.int("DSR_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# "count/seconds" windows for filing requests and entering codes. The filing limits count
# submissions filed (one may ask for several rights), sized for people: per address per day,
# per IP per hour (a household or an office shares one); form posts that do not validate count
# against their own, higher limit.
DSR_RATE_INTAKE_PER_IP = env.str("DSR_RATE_INTAKE_PER_IP", default="20/3600")
DSR_RATE_INTAKE_INVALID_PER_IP = env.str("DSR_RATE_INTAKE_INVALID_PER_IP", default="60/3600")
DSR_RATE_INTAKE_PER_EMAIL = env.str("DSR_RATE_INTAKE_PER_EMAIL", default="10/86400")
# The filing form's bot check (dsr/core/filing_stamp.py): a form files only if it was open at
# least this many seconds and at most this many hours, and files once.
DSR_INTAKE_FORM_CHECK = env.bool("DSR_INTAKE_FORM_CHECK", default=True)
DSR_INTAKE_MIN_SECONDS = env.int("DSR_INTAKE_MIN_SECONDS", default=3)
DSR_INTAKE_FORM_HOURS = env.int("DSR_INTAKE_FORM_HOURS", default=24)
# "E-mail me a link to all my requests": the link works this many days; asking is limited per
# address and per IP ("count/seconds").
DSR_REQUEST_LIST_LINK_DAYS = env.int("DSR_REQUEST_LIST_LINK_DAYS", default=7)
DSR_RATE_REQUEST_LIST_PER_EMAIL = env.str("DSR_RATE_REQUEST_LIST_PER_EMAIL", default="3/86400")
DSR_RATE_REQUEST_LIST_PER_IP = env.str("DSR_RATE_REQUEST_LIST_PER_IP", default="20/3600")
DSR_RATE_CODES_PER_IP = env.str("DSR_RATE_CODES_PER_IP", default="30/3600")
# Objections posted with one marketing link (one address): mail providers post RFC 8058
# one-clicks for many people from few addresses, so the limit counts per address, not per IP.
DSR_RATE_OBJECTION_LINK_PER_ADDRESS = env.str(
    "DSR_RATE_OBJECTION_LINK_PER_ADDRESS", default="10/3600"
)

# Days within which backups are overwritten: the erasure letter says so, in the request's
# language (Art. 17; EDPB: say how backups are handled).
DSR_BACKUP_DAYS = env.int("DSR_BACKUP_DAYS", default=30)
# Days an answer package can be downloaded before it is deleted.
DSR_PACKAGE_DAYS = env.int("DSR_PACKAGE_DAYS", default=30)
# Days the other controller's link to a directly transmitted answer works (Art. 20(2)); never
# longer than the package itself is kept.
DSR_TRANSMISSION_DAYS = env.int("DSR_TRANSMISSION_DAYS", default=14)
# A UTF-8 byte order mark at the start of every CSV of an answer (Excel on Windows needs it).
DSR_CSV_BOM = env.bool("DSR_CSV_BOM", default=False)
# Closed requests are purged this many years after the end of the year they closed in
# (LEGAL.md §5); their statistics record and audit trail stay.
DSR_RECORD_RETENTION_YEARS = env.int("DSR_RECORD_RETENTION_YEARS", default=3)
if DSR_RECORD_RETENTION_YEARS < 0:
    raise ImproperlyConfigured("DSR_RECORD_RETENTION_YEARS cannot be negative.")

# --- Decisions ------------------------------------------------------------------------------------

# Four eyes: the rights whose decisions need a second officer (comma-separated values of
# dsr.rights.Right). erasure: the approval to erase; objection: the Art. 21(1) decision;
# automated_decision: the Art. 22(3) review of an automated decision; any
# listed right: a refusal or partial refusal of a request that includes it. Empty: one officer
# decides alone. Unknown names stop the portal at startup.
DSR_FOUR_EYES = env.list(
    "DSR_FOUR_EYES",
    default=[
        "access",
        "rectification",
        "erasure",
        "restriction",
        "portability",
        "objection",
        "consent_withdrawal",
        "automated_decision",
    ],
)

# --- Connectors -----------------------------------------------------------------------------------

# Source systems: a YAML file (see connectors.example.yaml), or DSR_CONNECTORS in code.
DSR_CONNECTORS_FILE = env.str("DSR_CONNECTORS_FILE", default="")
DSR_CONNECTORS: dict[str, dict[str, object]] = {}
DSR_JOB_MAX_ATTEMPTS = env.int("DSR_JOB_MAX_ATTEMPTS", default=8)
DSR_JOB_BACKOFF_SECONDS = env.float("DSR_JOB_BACKOFF_SECONDS", default=10.0)
DSR_JOB_BACKOFF_MAX_SECONDS = env.float("DSR_JOB_BACKOFF_MAX_SECONDS", default=3600.0)
# A running job's lease; its heartbeat renews it. A dead worker's job is taken over after it.
DSR_JOB_LEASE_SECONDS = env.int("DSR_JOB_LEASE_SECONDS", default=60)
# A queued job whose message has not been picked up after this long is sent again.
DSR_JOB_DISPATCH_GRACE_SECONDS = env.int("DSR_JOB_DISPATCH_GRACE_SECONDS", default=600)
# Manual systems: days a task link works, days between reminders, and how many days before the
# request's due date the officers are told that a task is still open.
DSR_MANUAL_TASK_LINK_DAYS = env.int("DSR_MANUAL_TASK_LINK_DAYS", default=60)
DSR_MANUAL_TASK_REMIND_DAYS = env.int("DSR_MANUAL_TASK_REMIND_DAYS", default=3)
DSR_MANUAL_TASK_ESCALATE_DAYS = env.int("DSR_MANUAL_TASK_ESCALATE_DAYS", default=7)
# Hosts an HTTP connector (in-house webhook systems and the SaaS clients) may reach although
# they are private addresses or plain http (internal services); the clock skew accepted on signed
# messages, and how often a pending webhook job is polled.
DSR_WEBHOOK_ALLOWED_HOSTS = env.list("DSR_WEBHOOK_ALLOWED_HOSTS", default=[])
DSR_WEBHOOK_TOLERANCE_SECONDS = env.int("DSR_WEBHOOK_TOLERANCE_SECONDS", default=300)
DSR_WEBHOOK_POLL_SECONDS = env.int("DSR_WEBHOOK_POLL_SECONDS", default=300)
# Open jobs older than this are flagged as stuck for the officers.
DSR_JOB_STUCK_SECONDS = env.int("DSR_JOB_STUCK_SECONDS", default=6 * 3600)

# --- The JSON API (/api/v1/) and outgoing webhooks --------------------------------------------

# Calls one API key may make ("count/seconds") unless the key has a limit of its own.
DSR_API_RATE = env.str("DSR_API_RATE", default="600/60")
# Seconds a subscriber's webhook receiver has to answer before the delivery is tried again.
DSR_WEBHOOK_SUBSCRIPTION_TIMEOUT_SECONDS = env.float(
    "DSR_WEBHOOK_SUBSCRIPTION_TIMEOUT_SECONDS", default=10.0
)

# --- Security ------------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Messages live in the (database-backed) session, not in a cookie: a signed cookie is readable
# by whoever sees it, and allauth's messages name the address ("Successfully signed in as ...").
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the portal append to X-Forwarded-For (0: clients connect
# directly and REMOTE_ADDR is theirs). Our rate limits and allauth's (accounts/adapter.py) take
# the client from the right-most entry no trusted proxy wrote; too high a number lets clients
# choose their own address, too low makes every client the proxy.
DSR_TRUSTED_PROXIES = env.int("DSR_TRUSTED_PROXIES", default=0)
if DSR_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("DSR_TRUSTED_PROXIES cannot be negative.")

# --- Logging: no personal data; requests are referred to by reference, never by e-mail ----------

# Libraries that log whole URLs (with query strings: an e-mail address, a SOQL query) or
# request bodies at INFO or DEBUG: only their warnings and errors reach the log.
DSR_VENDOR_LOG_LEVEL = env.str("DSR_VENDOR_LOG_LEVEL", default="WARNING")
VENDOR_LOGGERS = (
    "httpx",
    "httpcore",
    "stripe",
    "urllib3",
    "requests",
    "simple_salesforce",
    "sqlalchemy",
    "weasyprint",
    "fontTools",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks e-mail addresses, signed link tokens and codes (dsr/logmask.py).
    "filters": {"personal_data": {"()": "dsr.logmask.MaskPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DSR_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (its console in DEBUG, runserver's request lines with the
        # path of a status link) would not mask: its records go to ours instead.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        **{name: {"level": DSR_VENDOR_LOG_LEVEL} for name in VENDOR_LOGGERS},
    },
}
