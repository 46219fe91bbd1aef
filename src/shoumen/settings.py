"""Shoumen's one settings module, driven by the environment.

Every value a deployment changes comes from an environment variable; everything else is fixed
here. Secrets that are not given are generated once into ``var/`` (never committed), so that
``make run`` works on a fresh machine and a restart keeps sessions and encrypted data readable.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("SHOUMEN_VAR_DIR", PROJECT_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret_from_env_or_file(env_name: str, filename: str, nbytes: int = 48) -> str:
    """Return the secret named by ``env_name``, else the one kept in ``var/filename``.

    The file is created on first use with mode 0600 so that every process of one installation
    (web workers, task workers, management commands) shares the same secret.
    """
    value = os.environ.get(env_name)
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


SECRET_KEY = secret_from_env_or_file("SECRET_KEY", "secret_key")
# Key material for personal data (ID numbers, phones). Kept apart from SECRET_KEY so that
# rotating the session secret never makes stored personal data unreadable.
PII_KEY = secret_from_env_or_file("SHOUMEN_PII_KEY", "pii_key")

DEBUG = env_bool("DEBUG", False)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "shoumen.core",
    "shoumen.geo",
    "shoumen.accounts",
    "shoumen.people",
    "shoumen.resumption",
    "shoumen.gate",
    "shoumen.demo",
    "shoumen.ledgers",
    "shoumen.duties",
    "shoumen.evidence",
    "shoumen.credentials",
    "shoumen.checklists",
    "shoumen.inspections",
    "shoumen.disinfection",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shoumen.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shoumen.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shoumen.urls"
WSGI_APPLICATION = "shoumen.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shoumen.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shoumen.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write lock
    # up front so that concurrent writers wait (busy timeout) instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Covering indexes (INCLUDE) are PostgreSQL's; SQLite builds the same keys without the
    # included columns, which is all the embedded database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's cursors bind parameters in the client and are never prepared. The gate's hot
    # statements run on a cursor that binds on the server and prepares them
    # (core.rows.hot_cursor), which psycopg allows only when the connection has a threshold;
    # nothing else is prepared whatever its value. Behind PgBouncer in transaction mode, set
    # max_prepared_statements there (PgBouncer ≥ 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 1_000_000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# What each role may do (core.scoping asks it; the roles are the accounts app's).
ROLE_CAPABILITIES_FUNCTION = "shoumen.accounts.roles.capabilities_of"
# Fragments the home page loads below its modules (URL names; one a domain app serves).
HOME_PANELS = ["resumption:home-panel"]
# Lines `shoumen serve` adds to its banner (the demo accounts, when they exist).
SERVE_BANNER_FUNCTION = "shoumen.demo.world.banner_lines"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Lockout: five failures for one username from one address locks that pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shoumen.accounts.views.locked_out"
AXES_VERBOSE = False

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if env_bool("SHOUMEN_PLAIN_STATIC", False):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Uploaded files (evidence, ledgers) elsewhere than MEDIA_ROOT, e.g. S3-compatible storage:
# SHOUMEN_MEDIA_STORAGE=storages.backends.s3.S3Storage (pip install "django-storages[s3]") and
# SHOUMEN_MEDIA_STORAGE_OPTIONS='{"bucket_name": "shoumen", "endpoint_url": "https://…"}'.
if os.environ.get("SHOUMEN_MEDIA_STORAGE"):
    STORAGES["default"] = {"BACKEND": os.environ["SHOUMEN_MEDIA_STORAGE"],
                           "OPTIONS": json.loads(os.environ.get("SHOUMEN_MEDIA_STORAGE_OPTIONS", "{}"))}
# Uploaded ledgers: refuse bodies over this size before reading them.
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Evidence (photos and PDFs attached to records): refused above this size; photos are stored
# re-encoded, at most 2048 pixels a side, so what is kept is far smaller.
EVIDENCE_MAX_BYTES = int(os.environ.get("SHOUMEN_EVIDENCE_MAX_MB", "10")) * 1024 * 1024

# --- Upload checks (shoumen.core.uploads) --------------------------------------------------
# Every uploaded file is checked before anything parses it. A workbook (a zip) is judged by
# its directory without unpacking it: what it unpacks to in all and per part, how tightly a
# part is packed (real workbooks: about 5-20 times) and how many parts it has. A 100,000-row
# people ledger (the most one file may hold) unpacks to about 50 MB.
UPLOAD_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("SHOUMEN_UPLOAD_MAX_UNCOMPRESSED_MB",
                                                   "256")) * 1024 * 1024
UPLOAD_MAX_PART_BYTES = int(os.environ.get("SHOUMEN_UPLOAD_MAX_PART_MB", "128")) * 1024 * 1024
UPLOAD_MAX_RATIO = int(os.environ.get("SHOUMEN_UPLOAD_MAX_RATIO", "100"))
UPLOAD_MAX_PARTS = int(os.environ.get("SHOUMEN_UPLOAD_MAX_PARTS", "10000"))
# Photos: refused above this many pixels, judged from the header before decoding (a 50 MP
# photo decodes to 150 MB).
UPLOAD_MAX_IMAGE_PIXELS = int(os.environ.get("SHOUMEN_UPLOAD_MAX_IMAGE_MEGAPIXELS",
                                             "50")) * 1_000_000
# The process that parses an uploaded ledger may grow by at most this much; a workbook that
# needs more is refused (a real 100,000-row ledger needs far less: docs/benchmarks.md).
IMPORT_READ_MAX_MEMORY_BYTES = int(os.environ.get("SHOUMEN_IMPORT_READ_MAX_MEMORY_MB",
                                                  "512")) * 1024 * 1024

# --- Backups (shoumen.core.backups) --------------------------------------------------------
# Where `shoumen backup` and the daily backup write, and how many of their files stay there.
# The backups never contain PII_KEY or SECRET_KEY: keep those apart (docs/running.md).
BACKUP_DIR = Path(os.environ.get("SHOUMEN_BACKUP_DIR", VAR_DIR / "backups")).resolve()
BACKUP_KEEP = int(os.environ.get("SHOUMEN_BACKUP_KEEP", "14"))  # 0 keeps every backup
# The daily backup at 02:30 runs on the embedded SQLite database; on PostgreSQL backups are
# the DBA's (pg_dump, WAL archiving) unless this is turned on.
BACKUP_SCHEDULED = env_bool("SHOUMEN_BACKUP_SCHEDULED",
                            DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3")

# --- Background tasks ---------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "shoumen.core.api.base.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shoumen 守门 API",
    "DESCRIPTION": "守门 — grassroots epidemic prevention and work resumption.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: no CDN, works on closed networks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status"/"kind" field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "PersonStatusEnum": "shoumen.people.models.PersonStatus",
        "EnterpriseStatusEnum": "shoumen.resumption.models.EnterpriseStatus",
        "LedgerJobStatusEnum": "shoumen.ledgers.models.JobStatus",
        "PersonKindEnum": "shoumen.people.models.PersonKind",
        "RefusalReasonEnum": "shoumen.gate.models.RefusalReason",
    },
}

# --- Domain settings ----------------------------------------------------------------------
# Movement records older than this are deleted (SafeEntry keeps 25 days, luca 30).
RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "28"))
# Body temperature at or above this is a fever in Chinese practice.
FEVER_THRESHOLD_C = 37.3
# Temperatures a guard can enter; anything else is a typing or thermometer error.
TEMPERATURE_RANGE_C = (34.0, 43.0)
# Resident passes: how long one is valid, and how often the signing key is replaced.
PASS_VALID_DAYS = int(os.environ.get("PASS_VALID_DAYS", "180"))
PASS_KEY_ROTATION_DAYS = int(os.environ.get("PASS_KEY_ROTATION_DAYS", "90"))
# A resumption confirmation (复工确认书) is valid this long unless revoked; then it is
# issued again after a supervision visit.
CONFIRMATION_VALID_DAYS = int(os.environ.get("CONFIRMATION_VALID_DAYS", "180"))
# Close contacts: the window around each of a case's entries, and how far back to look.
CONTACT_WINDOW_MINUTES = int(os.environ.get("CONTACT_WINDOW_MINUTES", "30"))
CONTACT_PERIOD_DAYS = int(os.environ.get("CONTACT_PERIOD_DAYS", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
