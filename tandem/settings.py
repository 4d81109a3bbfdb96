"""Tandem settings: environment variables only, parsed strictly (see `tandem check`)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tandem.env import Env

BASE_DIR = Path(__file__).resolve().parent
env = Env()

MODE = env.choice("TANDEM_MODE", "embedded", ["embedded", "production"])
PRODUCTION = MODE == "production"
DATA_DIR = env.path("TANDEM_DATA_DIR", Path.cwd() / "var")
DEBUG = env.bool("DEBUG", False)


def _embedded_secret_key(data_dir: Path) -> str:
    """The embedded default keeps a generated key in the data dir so sessions survive restarts."""
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY")
if PRODUCTION:
    env.require("SECRET_KEY", SECRET_KEY, "when TANDEM_MODE=production (a long random string)")
if not SECRET_KEY and not PRODUCTION:
    SECRET_KEY = _embedded_secret_key(DATA_DIR)
elif len(SECRET_KEY) < 32:
    env.problems.append("SECRET_KEY is too short: use at least 32 random characters.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    env.problems.append("ALLOWED_HOSTS is required when TANDEM_MODE=production (e.g. crm.example.com).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env.url("SITE_URL", "http://127.0.0.1:8000", ("http", "https")).rstrip("/")

DATABASE_URL = env.url(
    "DATABASE_URL", f"sqlite:///{DATA_DIR / 'tandem.sqlite3'}", ("sqlite", "postgres", "postgresql")
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=67108864; PRAGMA temp_store=MEMORY;"
        ),
    }
else:
    # Form choice lists use `.iterator()`, which on PostgreSQL opens a server-side cursor per select
    # box (DECLARE/FETCH/CLOSE round trips); the lists are small. Also required behind PgBouncer's
    # transaction pooling. Big reads page with keyset cursors instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # JIT compiles any plan estimated above `jit_above_cost`; a list query whose LIMIT stops it
    # after a few hundred rows paid 500+ ms of compilation for 75 ms of work. Reports aggregate in
    # well under a second without it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.url("REDIS_URL", "", ("redis", "rediss", "unix"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "tandem.core",
    "tandem.accounts",
    "tandem.history",
    "tandem.search",
    "tandem.contacts",
    "tandem.deals",
    "tandem.activities",
    "tandem.notifications",
    "tandem.leads",
    "tandem.webhooks",
    "tandem.imports",
    "tandem.exports",
    "tandem.merges",
    "tandem.analytics",
    "tandem.api",
    "tandem.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tandem.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tandem.urls"
WSGI_APPLICATION = "tandem.wsgi.application"
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
            ],
        },
    }
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_RATE_LIMIT = env.int("TANDEM_LOGIN_ATTEMPTS", 5, minimum=1, maximum=1000)
LOGIN_RATE_WINDOW_SECONDS = env.int("TANDEM_LOGIN_WINDOW", 300, minimum=10, maximum=86400)
# Requests a minute each API token may make (a fixed window per token, counted in the cache).
TANDEM_API_RATE = env.int("TANDEM_API_RATE", 600, minimum=1, maximum=1_000_000)

LANGUAGE_CODE = env.choice("TANDEM_LANGUAGE", "en", ["en", "bg", "ru"])
LANGUAGES = [("en", _("English")), ("bg", _("Bulgarian")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tandem.formats"]
TIME_ZONE = env.timezone("TANDEM_TIME_ZONE", "Europe/Sofia")
USE_I18N = True
USE_TZ = True
PHONE_REGION = env.phone_region("TANDEM_PHONE_REGION", "BG")
BASE_CURRENCY = env.str("TANDEM_BASE_CURRENCY", "EUR").upper()

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("TANDEM_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Largest file accepted as an activity attachment (a call recording, a signed contract).
TANDEM_MAX_UPLOAD_BYTES = env.int("TANDEM_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1024)
# Client files to import (CSV/XLSX/XLS/ODS) may be far larger than attachments: a million rows.
TANDEM_MAX_IMPORT_BYTES = env.int("TANDEM_MAX_IMPORT_BYTES", 500 * 1024 * 1024, minimum=1024)
TANDEM_IMPORT_BATCH_ROWS = env.int("TANDEM_IMPORT_BATCH_ROWS", 1000, minimum=1)
# From this many rows an import reads and cleans the file in a second process, beside the writer.
TANDEM_IMPORT_PARALLEL_ROWS = env.int("TANDEM_IMPORT_PARALLEL_ROWS", 20_000, minimum=0)
# From this many rows an import writes each batch in a process of its own while it plans the next one.
TANDEM_IMPORT_WRITER_ROWS = env.int("TANDEM_IMPORT_WRITER_ROWS", 20_000, minimum=0)
# An import (or undo) whose worker has not reported for this long is taken as dead: continued by the
# periodic job, or by the person with "Continue" / "Undo".
TANDEM_IMPORT_STALLED_SECONDS = env.int("TANDEM_IMPORT_STALLED_SECONDS", 180, minimum=1)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION and SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_HOST = env.str("EMAIL_HOST")
EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    env.problems.append(
        "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true: pick the one your server speaks."
    )
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "tandem@localhost")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

HUEY: dict[str, object]
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "tandem", "url": REDIS_URL, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "tandem",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": False,
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tandem.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tandem.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tandem.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem CRM API",
    "DESCRIPTION": "REST API of Tandem. Authenticate with `Authorization: Bearer <token>`.",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tandem.api.schema.describe_errors",  # documents the one error format
    ],
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`: one named enum each ("KindEnum" stays the pipeline stage's).
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "tandem.deals.models.Stage.Kind",
        "ActivityKindEnum": "tandem.activities.models.ActivityType.Kind",
        "NotificationKindEnum": "tandem.notifications.models.Notification.Kind",
        "ImportStatusEnum": "tandem.imports.models.ImportJob.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING"])},
}

env.raise_if_problems()
