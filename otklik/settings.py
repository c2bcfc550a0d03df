"""Django settings for Otklik, read from the environment.

The embedded default (no variables set) is SQLite under ``var/`` with the in-process pipeline,
which is what the README's first command runs. Production sets ``DATABASE_URL`` to PostgreSQL,
``CELERY_BROKER_URL`` to Redis or RabbitMQ, ``SECRET_KEY`` and ``DEBUG=false``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OTKLIK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_DEV_SECRET = "otklik-insecure-dev-key-change-me"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("Set SECRET_KEY: production refuses to start with the default secret.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "otklik.caching",
    "otklik.accounts",
    "otklik.directory",
    "otklik.intake",
    "otklik.understanding",
    "otklik.onboarding",
    "otklik.cases",
    "otklik.analytics",
    "otklik.public",
    "otklik.deputies",
    "otklik.elections",
    "otklik.api",
    "otklik.ops",
    "otklik.demo",
]

MIDDLEWARE = [
    # X-Forwarded-Proto/Host believed only from OTKLIK_TRUSTED_PROXIES (otklik/security/middleware.py).
    "otklik.security.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte in the path or the query is a 400 before any view or query runs (security/nul.py).
    "otklik.security.nul.RejectNulMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Request and case ids for the logs, the client's address behind trusted proxies, metrics,
    # replica reads (docs/deploy/).
    "otklik.ops.middleware.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzipped (static files come pre-compressed from whitenoise).
    "django.middleware.gzip.GZipMiddleware",
    # With DEBUG on, Django's technical error pages only for a signed-in superuser.
    "otklik.security.middleware.PublicErrorPagesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Login throttling (django-axes): turns a lockout into the page that says when to try again.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "otklik.urls"
WSGI_APPLICATION = "otklik.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "otklik" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "otklik.accounts.context_processors.capabilities",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'otklik.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The throttle first (otklik.accounts.throttle): a locked-out account or address is refused before
# its password is checked.
AUTHENTICATION_BACKENDS = [
    "otklik.accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:queue"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password-reset and invitation links (otklik.accounts.links) work once and for this long.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("OTKLIK_INVITATION_DAYS", "7")) * 86400

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "otklik" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Saratov")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (observers' photos): never served as static files; views check who may see them.
MEDIA_ROOT = Path(os.environ.get("OTKLIK_MEDIA_ROOT", VAR_DIR / "media"))
STATICFILES_DIRS = [
    BASE_DIR / "otklik" / "static",
    ("leaflet", xstatic.pkg.leaflet.BASE_DIR),
    ("leaflet-markercluster", xstatic.pkg.leaflet_markercluster.BASE_DIR),
]
# Development serves static files from the apps' folders; production (DEBUG=false) from
# `otklik collectstatic`'s STATIC_ROOT with hashed names (cached forever) and gzip/brotli copies.
OTKLIK_STATIC_MANIFEST = env_bool("OTKLIK_STATIC_MANIFEST", not DEBUG)
WHITENOISE_USE_FINDERS = not OTKLIK_STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT = Path(os.environ.get("OTKLIK_STATIC_ROOT", STATIC_ROOT))
# Media (observers' photos): the local folder, or S3-compatible storage shared by several web
# machines (OTKLIK_MEDIA_STORAGE=s3 with the AWS_* variables; MinIO, Yandex Object Storage, Ceph…).
OTKLIK_MEDIA_STORAGE = os.environ.get("OTKLIK_MEDIA_STORAGE", "local")
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "otklik.staticstorage.StaticStorage"
        if OTKLIK_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if OTKLIK_MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", "otklik-media"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("OTKLIK_S3_PREFIX", "media"),
            # Private objects: photos are served through the views that check who may see them.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif OTKLIK_MEDIA_STORAGE != "local":
    raise ImproperlyConfigured("OTKLIK_MEDIA_STORAGE is 'local' or 's3'.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "otklik.accounts.throttle.ThrottledBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested too deep or carrying NUL is a 400, never a 500 (security.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "otklik.security.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, with the error answers every operation can give (otklik/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "otklik.api.schema.OtklikAutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Otklik API",
    "DESCRIPTION": "Cases, messages and reference data of a regional management center",
    "VERSION": "0.1.0",
    # Swagger UI from the drf-spectacular-sidecar package: no CDN, and no inline script (the split view).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "otklik.cases.choices.CaseStatus",
        "AnswerStatusEnum": "otklik.cases.choices.AnswerStatus",
        "TerritoryKindEnum": "otklik.directory.choices.TerritoryKind",
        "AgencyKindEnum": "otklik.directory.choices.AgencyKind",
    },
}

# Pipeline: "inprocess" (default) runs the stages in the web process or a management command;
# "celery" sends batches to workers through CELERY_BROKER_URL.
OTKLIK_PIPELINE = os.environ.get("OTKLIK_PIPELINE", "inprocess")
OTKLIK_SEND_REPLIES = env_bool("OTKLIK_SEND_REPLIES", False)
# The outbox of replies (otklik/cases/delivery.py): a failed reply is retried after 60 s, 120 s, 240 s…
# (at most OTKLIK_REPLY_RETRY_MAX_SECONDS apart), OTKLIK_REPLY_MAX_ATTEMPTS times; the periodic job
# "send-replies" looks for due ones every OTKLIK_REPLY_CHECK_SECONDS.
OTKLIK_REPLY_RETRY_SECONDS = int(os.environ.get("OTKLIK_REPLY_RETRY_SECONDS", "60"))
OTKLIK_REPLY_RETRY_MAX_SECONDS = int(os.environ.get("OTKLIK_REPLY_RETRY_MAX_SECONDS", str(6 * 3600)))
OTKLIK_REPLY_MAX_ATTEMPTS = int(os.environ.get("OTKLIK_REPLY_MAX_ATTEMPTS", "8"))
# Deadlines: agencies are reminded once OTKLIK_DEADLINE_REMIND_AT of the time is used (0.75), or
# OTKLIK_DEADLINE_REMIND_WORKING_HOURS working hours before the deadline if set and sooner; a supervisor
# extends a deadline by at most OTKLIK_DEADLINE_EXTENSION_MAX_DAYS days in all (59-FZ art. 12: 30).
OTKLIK_DEADLINE_REMIND_AT = float(os.environ.get("OTKLIK_DEADLINE_REMIND_AT", "0.75"))
OTKLIK_DEADLINE_REMIND_WORKING_HOURS = float(os.environ.get("OTKLIK_DEADLINE_REMIND_WORKING_HOURS", "0"))
OTKLIK_DEADLINE_EXTENSION_MAX_DAYS = int(os.environ.get("OTKLIK_DEADLINE_EXTENSION_MAX_DAYS", "30"))
OTKLIK_REPLY_CHECK_SECONDS = int(os.environ.get("OTKLIK_REPLY_CHECK_SECONDS", "30"))
OTKLIK_AUTO_ROUTE_CONFIDENCE = float(os.environ.get("OTKLIK_AUTO_ROUTE_CONFIDENCE", "0.6"))
# The public site's address behind a proxy ("https://otklik.example.ru"), used for links in emails
# to residents; empty: taken from the request.
OTKLIK_PUBLIC_BASE_URL = os.environ.get("OTKLIK_PUBLIC_BASE_URL", "")
# Open311 GeoReport v2 at /open311/v2/: the jurisdiction_id served (empty: any is accepted) and
# the contact given in discovery.
OTKLIK_OPEN311_JURISDICTION = os.environ.get("OTKLIK_OPEN311_JURISDICTION", "")
# Notifications to staff by a Telegram bot (empty token: email only); the API's address is for a
# local Bot API server or a test fake.
OTKLIK_TELEGRAM_BOT_TOKEN = os.environ.get("OTKLIK_TELEGRAM_BOT_TOKEN", "")
OTKLIK_TELEGRAM_API_URL = os.environ.get("OTKLIK_TELEGRAM_API_URL", "https://api.telegram.org")
# The bot's @username, for the profile page's "connect Telegram" link (t.me/<username>?start=<code>).
OTKLIK_TELEGRAM_BOT_USERNAME = os.environ.get("OTKLIK_TELEGRAM_BOT_USERNAME", "")
OTKLIK_OPEN311_CONTACT = os.environ.get("OTKLIK_OPEN311_CONTACT", "")
# Analytics: optional map tiles (empty: the heat map draws only the project's own geometry) and
# how old the rollups may get before a page refreshes them itself (the periodic job normally does).
OTKLIK_MAP_TILES_URL = os.environ.get("OTKLIK_MAP_TILES_URL", "")
OTKLIK_ANALYTICS_MAX_AGE_SECONDS = int(os.environ.get("OTKLIK_ANALYTICS_MAX_AGE_SECONDS", "300"))
OTKLIK_OVERDUE_CHECK_SECONDS = int(os.environ.get("OTKLIK_OVERDUE_CHECK_SECONDS", "60"))
# Days after an appeal to a deputy when the resident is asked whether they got a reply (WriteToThem).
OTKLIK_DEPUTY_FOLLOW_UP_DAYS = int(os.environ.get("OTKLIK_DEPUTY_FOLLOW_UP_DAYS", "14"))
# How often the situational center's dashboard fetches fresh figures for its tables and map.
OTKLIK_ELECTIONS_REFRESH_SECONDS = int(os.environ.get("OTKLIK_ELECTIONS_REFRESH_SECONDS", "60"))
# The dashboard's figures are built once and shared by the center's staff (elections/live.py): after
# a change they are rebuilt at most this often (0: on every request, as in the tests).
OTKLIK_ELECTIONS_BOARD_SECONDS = float(os.environ.get("OTKLIK_ELECTIONS_BOARD_SECONDS", "5"))
# A voting station silent this long is listed for the center to call its observer.
OTKLIK_ELECTIONS_SILENT_HOURS = float(os.environ.get("OTKLIK_ELECTIONS_SILENT_HOURS", "2"))
# The learned models are retrained when the active one is this old and this many decisions are new.
OTKLIK_RETRAIN_HOURS = float(os.environ.get("OTKLIK_RETRAIN_HOURS", "24"))
OTKLIK_RETRAIN_MIN_NEW = int(os.environ.get("OTKLIK_RETRAIN_MIN_NEW", "100"))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = OTKLIK_PIPELINE != "celery"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis: a task a killed worker had taken is delivered again after this many seconds (RabbitMQ: at once).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, so that a machine can run only some (docs/deploy/scale.md): the pipeline's
# batches, heavy understanding (retraining), notifications and replies, periodic jobs.
OTKLIK_CELERY_QUEUES = ["intake", "understanding", "notify", "periodic"]
CELERY_TASK_DEFAULT_QUEUE = "periodic"
OTKLIK_INTAKE_QUEUE = "intake"  # the pipeline's batches (intake.tasks.enqueue_batches)
CELERY_TASK_ROUTES = {
    "otklik.understanding.tasks.*": {"queue": "understanding"},
    "*.notify_*": {"queue": "notify"},
    "*.send_*": {"queue": "notify"},
    "*.publish_*": {"queue": "notify"},
}
# Batches on several workers decide in the order sent; a batch waits at most this long for the one
# sent before it (a killed worker's batch comes back after CELERY_VISIBILITY_TIMEOUT): see
# otklik/intake/pipeline/order.py.
OTKLIK_PIPELINE_ORDER_WAIT_SECONDS = float(os.environ.get("OTKLIK_PIPELINE_ORDER_WAIT_SECONDS", "30"))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Each worker's Prometheus counters, in a folder of its own under this one; the web server's /metrics
# on the same machine sums them (otklik/ops/metrics.py).
OTKLIK_WORKER_METRICS_DIR = os.environ.get("OTKLIK_WORKER_METRICS_DIR", str(VAR_DIR / "prometheus-workers"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat's schedule is the registry of periodic jobs (otklik.periodic; each app registers its own).
CELERY_BEAT_SCHEDULER = "otklik.celery:Scheduler"

# Mail by SMTP when EMAIL_HOST is set (production); else kept in memory (development, the demo).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", f"django.core.mail.backends.{'smtp' if EMAIL_HOST else 'locmem'}.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "otklik@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Logs to stderr (journald under systemd): text, or one JSON object a line with OTKLIK_LOG_FORMAT=json;
# every line carries the request id and, on a case's pages, the case id (otklik.ops.context).
OTKLIK_LOG_FORMAT = os.environ.get("OTKLIK_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "otklik.ops.context.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(case_id)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if OTKLIK_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "otklik": {"level": os.environ.get("OTKLIK_LOG_LEVEL", "INFO")},
        # One line per request (method, path, status, ms, view, client, user): INFO in production.
        "otklik.access": {"level": os.environ.get("OTKLIK_ACCESS_LOG", "WARNING")},
    },
}

# --- Production run (docs/deploy/) ---------------------------------------------------------------
# Redis as the shared cache of every web and worker process (sessions stay in the database, so web
# servers hold no state); empty: each process keeps its own.
OTKLIK_CACHE_URL = os.environ.get("OTKLIK_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": OTKLIK_CACHE_URL}
    if OTKLIK_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# The operator queue's tab counters are shared by the users of one access scope for this many seconds
# (otklik/cases/counts.py; a user's own change shows on their next page at once). 0: counted on every page.
OTKLIK_QUEUE_COUNTS_SECONDS = float(os.environ.get("OTKLIK_QUEUE_COUNTS_SECONDS", "10"))
# ... and served this much longer while one recount runs beside the requests (otklik/cases/counts.py)
OTKLIK_QUEUE_COUNTS_STALE_SECONDS = float(os.environ.get("OTKLIK_QUEUE_COUNTS_STALE_SECONDS", "50"))
# Login throttling and other abuse counters must be seen by every process: Redis when configured,
# else a table in the database (created by the accounts app's migration) — never one process's memory.
CACHES["throttle"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": OTKLIK_CACHE_URL,
        "KEY_PREFIX": "throttle",
    }
    if OTKLIK_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "otklik_throttle_cache"}
)
# Login throttling (django-axes, otklik/accounts/throttle.py): after this many failed logins an
# account — and, separately, an address — is refused for OTKLIK_LOGIN_LOCKOUT_MINUTES, on the login
# form, the admin and HTTP Basic on the API alike; the page says when to try again.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "throttle"
AXES_FAILURE_LIMIT = int(os.environ.get("OTKLIK_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("OTKLIK_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# A locked-out client's further tries do not push the end of the lockout: the time told holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "otklik.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "otklik.accounts.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Password-reset emails: per account and per address within an hour (otklik/accounts/throttle.py).
OTKLIK_RESET_EMAILS_PER_ACCOUNT = int(os.environ.get("OTKLIK_RESET_EMAILS_PER_ACCOUNT", "3"))
OTKLIK_RESET_EMAILS_PER_ADDRESS = int(os.environ.get("OTKLIK_RESET_EMAILS_PER_ADDRESS", "20"))
# Analytics reads from a PostgreSQL replica (otklik.ops.db_router): GET requests under these paths.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["otklik.ops.db_router.ReplicaRouter"]
OTKLIK_REPLICA_PATHS = env_list("OTKLIK_REPLICA_PATHS", "/analytics/")
# The reverse proxies whose X-Forwarded-For names the client (addresses or networks).
OTKLIK_TRUSTED_PROXIES = env_list("OTKLIK_TRUSTED_PROXIES", "127.0.0.1,::1")
# Who may read /metrics and the details of /readyz: the addresses or networks named here (none by
# default: not even 127.0.0.1, which is also a local process or a proxy that lost the client's
# address), or the bearer token. /healthz is open to all.
OTKLIK_METRICS_ALLOWED = env_list("OTKLIK_METRICS_ALLOWED", "")
OTKLIK_METRICS_TOKEN = os.environ.get("OTKLIK_METRICS_TOKEN", "")
# The pipeline's lag (oldest unprocessed item) above which the health check warns.
OTKLIK_READY_MAX_LAG_SECONDS = int(os.environ.get("OTKLIK_READY_MAX_LAG_SECONDS", "300"))

# --- HTTPS and security headers (finding 8 of issue 11; docs/deploy/README.md) --------------------
# OTKLIK_HTTPS=true behind TLS switches on the redirect to HTTPS, HSTS and Secure cookies at once;
# each can also be set on its own. X-Forwarded-Proto is believed only from OTKLIK_TRUSTED_PROXIES.
OTKLIK_HTTPS = env_bool("OTKLIK_HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", OTKLIK_HTTPS)
# Health checks and metrics are asked over plain HTTP by the balancer and Prometheus on the inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(31536000 if OTKLIK_HTTPS else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", OTKLIK_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", OTKLIK_HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", OTKLIK_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", OTKLIK_HTTPS)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The app's own pages load nothing from elsewhere (no CDN), run no inline script or style; map tiles,
# when configured, are the one outside origin (images only). Violations can be sent to a collector.
_TILES_ORIGIN = "/".join(OTKLIK_MAP_TILES_URL.split("/")[:3]) if "://" in OTKLIK_MAP_TILES_URL else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *([_TILES_ORIGIN] if _TILES_ORIGIN else [])],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if os.environ.get("OTKLIK_CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["OTKLIK_CSP_REPORT_URI"]]

# Errors and slow transactions to Sentry (or a compatible server such as GlitchTip) when set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:  # pragma: no cover - exercised by otklik/ops/tests/test_services.py in a subprocess
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,  # residents' and staff's personal data stay here
    )
