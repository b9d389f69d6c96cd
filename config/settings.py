"""Settings for every environment, read from environment variables alone.

The variables and their defaults are the configuration contract of SPEC.md;
README.md lists them. Nothing here branches on an environment name: each
behaviour has its own variable with a safe production default, and `make run`
sets the development values.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.log_filters import CELERY_TASK_LOGGERS
from lms.core.storage import s3_storages

# Lets Django's generic classes (ModelAdmin[Model], QuerySet[Model]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
# The audit chain's sealing key (lms.audit.chain): a separate secret; empty: SECRET_KEY. Old
# keys (or the old SECRET_KEY) stay in AUDIT_DIGEST_OLD_KEYS so the lines they sealed verify.
AUDIT_DIGEST_KEY = env.str("AUDIT_DIGEST_KEY", default="")
AUDIT_DIGEST_OLD_KEYS = env.list("AUDIT_DIGEST_OLD_KEYS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=["http://localhost:3000"])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"])
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# Absolute base of this API, used in links that leave it (certificate QR codes, signed media).
BACKEND_URL = env.str("BACKEND_URL", default="http://127.0.0.1:8000").rstrip("/")
# The benchmark's floor view (/bench/floor/); never enabled in production.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "corsheaders",
    "channels",
    "lms.core",
    "lms.audit",
    "lms.notifications",
    "lms.accounts",
    "lms.catalog",
    "lms.learning",
    "lms.assessments",
    "lms.payouts",
    "lms.commerce",
    "lms.tutoring",
    "lms.community",
    "lms.messaging",
    "lms.support",
    "lms.analytics",
    "lms.demo",
]

MIDDLEWARE = [
    # Reads of GET/HEAD/OPTIONS requests may go to a read replica (config/db_router.py).
    "config.db_router.ReplicaRoutingMiddleware",
    "lms.core.middleware.RequestBodyLimitMiddleware",
    "lms.core.middleware.NullCharactersMiddleware",
    "lms.core.middleware.PrivateCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "lms.core.middleware.ErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections: reconnecting on every request costs two thirds of the throughput.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
for _index, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[])):
    DATABASES[f"replica_{_index}"] = {
        **env.db_url_config(_url),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
# PostgreSQL: parameters bound by the server and repeated queries prepared (psycopg 3), so
# each query shape is parsed and planned once per connection instead of on every request.
# Turn it off behind a pooler in transaction mode that cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
for _database in DATABASES.values():
    if DATABASE_PREPARED_STATEMENTS and _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# models.W040: learning.Enrollment's time indexes INCLUDE its status (index-only scans for
# analytics' series on PostgreSQL, where the product runs); SQLite builds them without the
# included column, which is all the warning says. It would print on every SQLite command
# (`make run`, `make test`) for nothing a newcomer can act on.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache, Celery, Channels ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
_cache_prefix = "lms"
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers share one Redis: keep their keys (throttle counters) apart.
    _cache_prefix = f"lms-test-{os.environ['PYTEST_XDIST_WORKER']}"
# After a failed cache call this process skips Redis this long (lms.core.cache_client); it
# also bounds how soon a process sends the invalidations Redis missed (lms.core.invalidation).
CACHE_BREAKER_COOLDOWN_SECONDS = env.float("CACHE_BREAKER_COOLDOWN_SECONDS", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis keeps one Redis client per process; Django's own backend builds a
            # new client object for every cache call (measured: a tenth of the CPU of a
            # throttled request went to constructing them).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": {
                # django-redis's client with a per-process circuit breaker: after a failed
                # call Redis is skipped for CACHE_BREAKER_COOLDOWN_SECONDS (a blackholed
                # Redis costs one timeout per cool-down, not several per request), and a
                # cache invalidation Redis did not receive is kept and sent once it answers
                # (lms.core.invalidation).
                "CLIENT_CLASS": "lms.core.cache_client.BreakerClient",
                # Redis down or unreachable: every cache call answers as a miss (reads are
                # built from the database, writes of the cache are dropped) instead of a 500,
                # logged as a warning; /health/ready/ still reports the cache as failing.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1.0,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{_cache_prefix}-channels"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": _cache_prefix,
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Each worker's near-cache of the catalog's public answers (lms/catalog/cache.py): at most
# this many entries and bytes of bodies, least recently used out first; 0 turns it off.
CATALOG_NEAR_CACHE_ENTRIES = env.int("CATALOG_NEAR_CACHE_ENTRIES", default=2000)
CATALOG_NEAR_CACHE_BYTES = env.int("CATALOG_NEAR_CACHE_BYTES", default=32 * 1024 * 1024)
# The limits on guessing (lms.accounts.throttles) keep their counters through this alias: the
# same server, prefix and keys as "default", but a failed call raises (answered 503) instead
# of reading as a miss, so no failed login goes uncounted while Redis half-answers (PING works,
# a SET is refused: a read timeout, maxmemory with noeviction). Local memory: the same store.
CACHES["limits"] = {
    **CACHES["default"],
    "OPTIONS": {**CACHES["default"].get("OPTIONS", {}), "IGNORE_EXCEPTIONS": False},
}
if not REDIS_URL:
    CACHES["limits"].pop("OPTIONS")

# The in-memory transport names a host, or kombu warns that it falls back to localhost.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# Eager (tasks run in the calling process) only without a broker: with REDIS_URL set, a test
# harness may still ask for it; without one, queued tasks would wait in memory for no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
if not REDIS_URL and not CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("CELERY_TASK_ALWAYS_EAGER=false needs a broker: set REDIS_URL.")
CELERY_TASK_EAGER_PROPAGATES = True
# Acknowledged on receipt by default; tasks whose second run changes nothing opt into late
# acknowledgement (lms.core.tasks.IDEMPOTENT), so only they run again after a lost worker.
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this long: longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task after a commit: one retry 0.1 s later (measured with Redis's port closed:
# 0.1-0.2 s per failed publish, against 0.9-1.0 s with the former 3 retries), then the task
# goes to the outbox (lms.core.models.UnsentTask, config/celery.py) and for
# CELERY_OUTBOX_COOLDOWN_SECONDS this process's delay_on_commit tasks go to the outbox at
# once (a worker's retry and a direct .delay() still try the broker).
# Beat's core-resend-unsent-tasks publishes the outbox again every minute.
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.1,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
CELERY_OUTBOX_COOLDOWN_SECONDS = env.float("CELERY_OUTBOX_COOLDOWN_SECONDS", default=10.0)
# The outbox's bounds: beyond this many rows a task is logged `task_not_queued` and dropped
# (config/celery.py OutboxCap); a row whose resend failed this many times for its own reason
# (not an outage) is given up, left for an operator (lms.core.tasks.resend_unsent_tasks).
CELERY_OUTBOX_MAX_ROWS = env.int("CELERY_OUTBOX_MAX_ROWS", default=100_000)
CELERY_OUTBOX_MAX_ATTEMPTS = env.int("CELERY_OUTBOX_MAX_ATTEMPTS", default=20)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("emails"), Queue("pdfs")]
CELERY_TASK_ROUTES = {
    # send_verification_email, send_password_reset_email, send_certificate_email,
    # send_notification_email
    "lms.*.tasks.send_*_email": {"queue": "emails"},
    "lms.commerce.tasks.send_order_receipt": {"queue": "pdfs"},
    "lms.learning.tasks.issue_certificate": {"queue": "pdfs"},
}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Notification emails a user gets on their own per rolling hour; the rest wait for the
# hourly digest (lms.notifications.services, docs/messaging.md).
NOTIFICATION_EMAILS_PER_HOUR = env.int("NOTIFICATION_EMAILS_PER_HOUR", default=3)
# Seconds an analytics answer is kept (lms/analytics/cache.py); 0 builds every answer (bench).
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Tutoring (docs/tutoring.md): unpaid bookings free their time after 15 minutes; lessons
    # complete 24 h after their end; reminders 24 h and 1 h ahead; weekly availability extended.
    "tutoring-expire-pending-bookings": {
        "task": "lms.tutoring.tasks.expire_pending_bookings",
        "schedule": 60.0,
    },
    "tutoring-complete-due-bookings": {
        "task": "lms.tutoring.tasks.complete_due_bookings",
        "schedule": 3600.0,
    },
    "tutoring-send-due-reminders": {
        "task": "lms.tutoring.tasks.send_due_reminders",
        "schedule": 300.0,
    },
    "tutoring-extend-weekly-availability": {
        "task": "lms.tutoring.tasks.extend_weekly_availability",
        "schedule": 86400.0,
    },
    # The audit chain (lms/audit/tasks.py): each commit that wrote audit lines queues
    # seal_audit_chain; this run seals whatever a lost task or an unreachable broker left.
    # The head's position and hash in the log every hour: a copy outside the database for
    # `verify_audit_chain --expect-at-least` (lms/audit/tasks.py).
    "audit-log-chain-head": {
        "task": "lms.audit.tasks.log_audit_chain_head",
        "schedule": 3600.0,
    },
    "audit-seal-chain": {
        "task": "lms.audit.tasks.seal_audit_chain",
        "schedule": 60.0,
    },
    "payouts-release-matured-earnings": {
        "task": "lms.payouts.tasks.release_matured_earnings",
        "schedule": 3600.0,
    },
    # Personal data exports whose 24-hour link expired lose their stored ZIP.
    "accounts-purge-expired-exports": {
        "task": "lms.accounts.tasks.purge_expired_exports",
        "schedule": 3600.0,
    },
    "commerce-reconcile-pending-payments": {
        "task": "lms.commerce.tasks.reconcile_pending_payments",
        "schedule": 900.0,
    },
    # Tasks that the broker refused after their commit (the outbox, config/celery.py).
    "core-resend-unsent-tasks": {
        "task": "lms.core.tasks.resend_unsent_tasks",
        "schedule": 60.0,
    },
    "core-sweep-orphan-files": {
        "task": "lms.core.tasks.sweep_orphan_files",
        "schedule": 86400.0,
    },
    "notifications-send-digests": {
        "task": "lms.notifications.tasks.send_notification_digests",
        "schedule": 3600.0,
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env.bool("FAST_PASSWORD_HASHER", default=False):
    # Tests and the benchmark seed only: argon2 is deliberately slow.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
REQUIRE_EMAIL_VERIFICATION = env.bool("REQUIRE_EMAIL_VERIFICATION", default=True)
ONE_TIME_CODE_TTL_MINUTES = env.int("ONE_TIME_CODE_TTL_MINUTES", default=10)
ONE_TIME_CODE_MAX_ATTEMPTS = 5
# Two-factor authentication (lms/accounts/two_factor.py): admins and managers must enrol while
# this is on; the password step's challenge lives this long; TOTP codes are named by issuer.
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=True)
MFA_CHALLENGE_TTL_SECONDS = env.int("MFA_CHALLENGE_TTL_SECONDS", default=300)
MFA_SETUP_TOKEN_TTL_MINUTES = 10
TOTP_ISSUER = env.str("TOTP_ISSUER", default="LMS")
# Personal data exports (lms/accounts/export.py): the emailed link's lifetime.
DATA_EXPORT_LINK_TTL_HOURS = 24

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    # An empty value counts as unset: an empty HMAC key would sign anything.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_TOKEN_CLASSES": ("rest_framework_simplejwt.tokens.AccessToken",),
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "LEEWAY": 0,
}

# --- REST framework -------------------------------------------------------------------------
THROTTLE_ANON = env.str("THROTTLE_ANON", default="100/hour")
THROTTLE_USER = env.str("THROTTLE_USER", default="1000/hour")
THROTTLE_AUTH = env.str("THROTTLE_AUTH", default="10/minute")
# Failed logins (API and admin), lms/accounts/throttles.py: per account and client IP, and per
# account from every address, a ceiling that one client alone cannot reach (same period).
THROTTLE_LOGIN_FAILURES = env.str("THROTTLE_LOGIN_FAILURES", default=THROTTLE_AUTH)
THROTTLE_LOGIN_ACCOUNT_FAILURES = env.str("THROTTLE_LOGIN_ACCOUNT_FAILURES", default="50/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["lms.accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lms.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Sliding-window counters: one Redis round trip per request, fail open (lms/core/throttling.py)
    "DEFAULT_THROTTLE_CLASSES": [
        "lms.core.throttling.AnonRateThrottle",
        "lms.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": THROTTLE_ANON,
        "user": THROTTLE_USER,
        "auth": THROTTLE_AUTH,
        "auth_account": THROTTLE_AUTH,
        "login_failures": THROTTLE_LOGIN_FAILURES,
        "login_account_failures": THROTTLE_LOGIN_ACCOUNT_FAILURES,
        "mfa_failures": env.str("THROTTLE_MFA_FAILURES", default="5/minute"),
    },
    # Clients' addresses come from X-Forwarded-For only through this many trusted proxies;
    # with 0 the socket address is used and a forged header changes nothing.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    "DEFAULT_RENDERER_CLASSES": ["lms.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, refusing NUL characters and too deep JSON (lms/core/parsers.py)
        "lms.core.parsers.JSONParser",
        "lms.core.parsers.MultiPartParser",
        "lms.core.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "lms.core.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "lms.core.exception_handler.ExceptionHandler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Learning marketplace API",
    "DESCRIPTION": "Courses, learning, commerce, tutoring and payouts. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the pinned drf-spectacular-sidecar package, served with the
    # static files, never a CDN's @latest.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        f"{name}Enum": f"drf_standardized_errors.openapi_serializers.{name}Enum.choices"
        for name in ("ValidationError", "ClientError", "ServerError")
    }
    | {
        "CouponKindEnum": "lms.commerce.models.CouponKind.choices",
        "EnrollmentStatusEnum": "lms.learning.models.EnrollmentStatus.choices",
        "LessonTypeEnum": "lms.catalog.models.LessonType.choices",
        "TicketStatusEnum": "lms.support.models.TicketStatus.choices",
        "TicketCategoryEnum": "lms.support.models.TicketCategory.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "lms.core.schema.add_media_stream",
        "lms.core.schema.add_links",
        "lms.core.schema.page_parameters",
    ],
}

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api|health)/.*$"
# Response headers a browser app may read: download file names and when to retry after a 429.
CORS_EXPOSE_HEADERS = ["Content-Disposition", "Retry-After"]

# Request size limits enforced by RequestBodyLimitMiddleware (Django's own limit does not
# cover file parts) and by the upload validators per field.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=110 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o640

# --- i18n, static, media --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers each get their own files, so one's cleanup never hits another's.
    MEDIA_ROOT = MEDIA_ROOT / os.environ["PYTEST_XDIST_WORKER"]
PUBLIC_MEDIA_ROOT = MEDIA_ROOT / "public"
PRIVATE_MEDIA_ROOT = MEDIA_ROOT / "private"

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    # lms/core/storage.py: public objects under public/ by plain URLs (of the bucket, or of
    # AWS_S3_CUSTOM_DOMAIN: a CDN, or R2's public domain), private ones under private/ by
    # presigned URLs that expire after 5 minutes.
    STORAGES = {
        **s3_storages(
            bucket_name=env.str("AWS_STORAGE_BUCKET_NAME"),
            endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
            access_key=env.str("AWS_ACCESS_KEY_ID", default=""),
            secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=""),
            region_name=env.str("AWS_S3_REGION_NAME", default=""),
            custom_domain=env.str("AWS_S3_CUSTOM_DOMAIN", default=""),
        ),
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
elif STORAGE_BACKEND == "local":
    STORAGES = {
        # Public files are read by nginx (deploy/nginx.conf, `location /media/`), whose workers
        # run as another user than the app: world-readable. Private ones keep 0640.
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(PUBLIC_MEDIA_ROOT),
                "base_url": MEDIA_URL,
                "file_permissions_mode": 0o644,
                "directory_permissions_mode": 0o755,
            },
        },
        "private": {
            # Keeps MEDIA_ROOT itself traversable for nginx (lms/core/local_storage.py).
            "BACKEND": "lms.core.local_storage.PrivateFileSystemStorage",
            "OPTIONS": {
                "location": str(PRIVATE_MEDIA_ROOT),
                "base_url": None,
                "file_permissions_mode": 0o640,
                "directory_permissions_mode": 0o750,
            },
        },
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        },
    }
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")

# --- Email ----------------------------------------------------------------------------------
# The development backend prints each email in short (recipients, subject, text body, one
# line per attachment; lms/core/mail_console.py) to stdout, codes and reset links included,
# which is the log of a container: development only.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="lms.core.mail_console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent_emails"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LearnFlow <no-reply@learnflow.local>")

# --- Product ----------------------------------------------------------------------------------
# The ISO 4217 codes the platform sells in (lms.core.money; any other code is a 400): the major
# two-decimal currencies, zero-decimal ones (JPY, KRW, CLP, VND, UGX, ISK), the three-decimal
# dinars and rials that Stripe charges (KWD, BHD, JOD, OMR, TND), and HUF and MGA, whose Stripe
# units differ from ISO's. Each must fit the money columns (3 decimals): a system check says so.
SUPPORTED_CURRENCIES = env.list(
    "SUPPORTED_CURRENCIES",
    default=(  # noqa: SIM905
        "USD EUR GBP CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF RON ISK JPY KRW CLP VND UGX MGA "
        "INR BRL MXN SGD HKD ZAR AED SAR ILS TRY KWD BHD JOD OMR TND"
    ).split(),
)
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="fake")
# The fake provider lets any buyer mark their own payment paid (/payments/{id}/simulate/), so with
# DEBUG false it needs ALLOW_FAKE_PAYMENTS=true, which only tests, demos and the benchmark set;
# `manage.py check --deploy` refuses it even then (lms/commerce/checks.py).
ALLOW_FAKE_PAYMENTS = env.bool("ALLOW_FAKE_PAYMENTS", default=False)
if PAYMENT_PROVIDER == "fake" and not DEBUG and not ALLOW_FAKE_PAYMENTS:
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=fake lets buyers mark their own payments paid: set "
        "PAYMENT_PROVIDER=stripe, or ALLOW_FAKE_PAYMENTS=true for tests and demos only."
    )
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# `manual`: admins pay withdrawals outside and mark them paid; `stripe`: withdrawals whose method
# is `stripe` are paid by Stripe Connect transfers (docs/payouts.md).
PAYOUT_PROVIDER = env.str("PAYOUT_PROVIDER", default="manual")
if PAYOUT_PROVIDER not in ("manual", "stripe"):
    raise ImproperlyConfigured("PAYOUT_PROVIDER must be 'manual' or 'stripe'.")
VIDEO_PROVIDER = env.str("VIDEO_PROVIDER", default="local")
VDOCIPHER_API_SECRET = env.str("VDOCIPHER_API_SECRET", default="")
PLATFORM_FEE_PERCENT = env.int("PLATFORM_FEE_PERCENT", default=15)
EARNINGS_HOLD_DAYS = env.int("EARNINGS_HOLD_DAYS", default=14)
REFUND_WINDOW_DAYS = env.int("REFUND_WINDOW_DAYS", default=14)
BOOKING_REFUND_CUTOFF_HOURS = env.int("BOOKING_REFUND_CUTOFF_HOURS", default=24)
# How far ahead a lesson can be booked: at most the refund window, so a cancellation that the
# policy refunds is always inside commerce's REFUND_WINDOW_DAYS (docs/tutoring.md).
BOOKING_HORIZON_DAYS = min(
    env.int("BOOKING_HORIZON_DAYS", default=REFUND_WINDOW_DAYS), REFUND_WINDOW_DAYS
)
BOOKING_AUTO_COMPLETE_HOURS = env.int("BOOKING_AUTO_COMPLETE_HOURS", default=24)
TUTORING_MEETING_BASE_URL = env.str("TUTORING_MEETING_BASE_URL", default="https://meet.jit.si")
TUTORING_WEEKLY_EXPANSION_DAYS = env.int("TUTORING_WEEKLY_EXPANSION_DAYS", default=56)

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # Celery logs a task's arguments; tasks take ids only and these loggers blank them anyway
    # (config/log_filters.py). The worker logs through this configuration (config/celery.py).
    # A dependency that is down (Redis: every cache call, every publish) repeats one record
    # per request: the first of a kind passes with its traceback, repeats within 60 s are
    # counted and summed up in one `log_repeats_suppressed` line (config/log_filters.py).
    "filters": {
        "redact_task_arguments": {"()": "config.log_filters.RedactTaskArguments"},
        "redact_request_credentials": {"()": "config.log_filters.RedactRequestCredentials"},
        "suppress_repeats": {"()": "config.log_filters.SuppressRepeats", "window": 60.0},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_task_arguments", "redact_request_credentials", "suppress_repeats"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handler (DEBUG) would print every django.* line a second time:
        # its records go to the root handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # 4xx are in the access log line (runserver, gunicorn) already; 5xx keep their traceback.
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
        **{name: {"filters": ["redact_task_arguments"]} for name in CELERY_TASK_LOGGERS},
    },
}
