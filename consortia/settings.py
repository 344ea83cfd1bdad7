"""Settings for Consortia, all read from the environment through one `env` object.

Defaults make the demo work on a fresh machine: SQLite in the project folder and Celery tasks run
eagerly in-process. Set DATABASE_URL and REDIS_URL for PostgreSQL and real Celery workers.
With DEBUG off (production), SECRET_KEY must be set and the HTTPS hardening below is on.
"""

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-demo-key-only-for-local-use")
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:  # production refuses to start without one
        raise ImproperlyConfigured(
            "Set SECRET_KEY for production, or DEBUG=1 for development (make demo, make test "
            "and make check set what they need)."
        )

# Referrals: an NHS number is never stored; it is replaced at import by an HMAC keyed with this
# secret, which lives in the environment, never in the database. Set it in production. Unset, it
# is derived from SECRET_KEY (HMAC-SHA256 of "patient-id"), so the demo and `check --deploy` work;
# but then rotating SECRET_KEY would unlink every patient, hence the recommendation to set it.
PATIENT_ID_HMAC_KEY = (
    env("PATIENT_ID_HMAC_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"patient-id", hashlib.sha256).hexdigest()
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "consortia",
    "consortia.imports",
    "localities",
    "budgets",
    "referrals",
    "senate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "consortia.security.DenialAuditMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 answer
]

ROOT_URLCONF = "consortia.urls"
WSGI_APPLICATION = "consortia.wsgi.application"

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
                "consortia.context_processors.navigation",
                "consortia.context_processors.unread_notices",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "consortia.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]
# Logins that resist guessing (consortia/security.py, docs/decisions.md 29): after
# AXES_FAILURE_LIMIT failures for one account, or from one address, further attempts are refused
# (429) for the cool-off; a success resets the account's count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: account, or address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "consortia.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "consortia.security.client_address"
AXES_VERBOSE = False
# Proxies in front of the app that append to X-Forwarded-For (0: use the connection's address).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = DEBUG

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # django-filter's backend, naming the allowed values when a filter's value is not one of them
    "DEFAULT_FILTER_BACKENDS": ["consortia.query.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "consortia.errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Throttling: per address when signed out, per person when signed in (429, Retry-After).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consortia API",
    "DESCRIPTION": "GP commissioning consortium: organisation tree, budgets, referrals, senate.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "consortia.schema.error_responses_declared",  # every error, in the one shape
    ],
    # Two models have a `kind` and two a `status`: name each set of choices once.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "consortia.models.OrganisationKind",
        "ImportKindEnum": "budgets.models.ImportKind",
        "UploadStatusEnum": "consortia.imports.models.UploadStatus",
        "TransactionKindEnum": "budgets.models.TransactionKind",
        "RunStatusEnum": "budgets.models.RunStatus",
        "VirementStatusEnum": "budgets.models.VirementStatus",
        "MeetingStatusEnum": "senate.models.MeetingStatus",
        "MotionStatusEnum": "senate.models.MotionStatus",
        "VersionStatusEnum": "senate.models.VersionStatus",
        "AttendanceStatusEnum": "senate.models.AttendanceStatus",
        "MemberKindEnum": "senate.models.MemberKind",
        "MotionKindEnum": "senate.models.MotionKind",
        "StandardKindEnum": "senate.models.StandardKind",
        "VoteChoiceEnum": "senate.models.Choice",
        "OutcomeMeasureEnum": "localities.models.OutcomeMeasure",
        "ReferralImportKindEnum": "referrals.models.ReferralImportKind",
        "InformationKindEnum": "referrals.models.InformationKind",
        "SchemeKindEnum": "referrals.models.SchemeKind",
        "InterestKindEnum": "referrals.models.InterestKind",
        "PeerReviewStatusEnum": "referrals.models.ReviewStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis (the demo), tasks run in-process as they are called.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Shared cache (import progress is written by the worker and read by the pages): Redis when
# configured, else in-process memory (the demo runs Celery in-process too).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Imports (consortia/imports) ---------------------------------------------------------------
# Limits a file must keep within; each refusal names the limit.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=2 * 1024**3)  # 2 GiB
IMPORT_MAX_XLSX_INFLATED_BYTES = env.int("IMPORT_MAX_XLSX_INFLATED_BYTES", default=200 * 1024**2)
IMPORT_MAX_XLSX_ROWS = env.int("IMPORT_MAX_XLSX_ROWS", default=200_000)
IMPORT_MAX_HEADER_BYTES = 64 * 1024
# Rows read, checked and loaded at a time: checking a batch peaks at about 1 KiB a row, so the
# import process holds about 350 MB whatever the file's length (decisions 34).
IMPORT_BATCH_ROWS = env.int("IMPORT_BATCH_ROWS", default=50_000)
# Kept files are deleted after six years (NHS Records Management Code of Practice 2021:
# financial records); failed files and files with patient identifiers are never kept.
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=6 * 366)
# Reconciliation runs on this working day after month end (bank holidays excluded).
RECONCILE_WORKING_DAY = env.int("RECONCILE_WORKING_DAY", default=3)

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="consortia@localhost")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / "sent-emails")

# --- Security (production) --------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
SESSION_COOKIE_SAMESITE = "Lax"  # Lax, not Strict: a link from an alert e-mail keeps the session
CSRF_COOKIE_SAMESITE = "Lax"
# A session ends after this long without a request (each request renews it).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only,
# never inline (the vendored NHS.UK frontend, htmx, Chart.js and Swagger UI are served from it).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Swagger UI's icons are data: URLs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}
