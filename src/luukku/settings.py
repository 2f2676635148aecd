"""Django settings, all taken from the environment (see luukku.config)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

from luukku.config import DEFAULT_SECRET_KEY, env_flag, var_dir

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = var_dir()

DEBUG = env_flag("LUUKKU_DEBUG")
SECRET_KEY = os.environ.get("LUUKKU_SECRET_KEY", DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("LUUKKU_ALLOWED_HOSTS", "").split(",") if h.strip()
]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "luukku.core",
    "luukku.customers",
    "luukku.consent",
    "luukku.channels",
    "luukku.desk",
    "luukku.segments",
    "luukku.campaigns",
    "luukku.journeys",
    "luukku.api",
    "luukku.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "luukku.core.middleware.StaffLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "luukku.urls"
ASGI_APPLICATION = "luukku.asgi.application"
WSGI_APPLICATION = "luukku.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "luukku.web.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'luukku.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("nb", _("Norwegian Bokmål")),
    ("fi", _("Finnish")),
    ("sv", _("Swedish")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# Files (attachments) on the filesystem under MEDIA_ROOT, or in an S3-compatible bucket
# when LUUKKU_S3_BUCKET is set. They are served only through Luukku's own access checks,
# never by public URL.
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("LUUKKU_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["LUUKKU_S3_BUCKET"],
            "endpoint_url": os.environ.get("LUUKKU_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("LUUKKU_S3_REGION") or None,
            "access_key": os.environ.get("LUUKKU_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("LUUKKU_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": None,  # private: the bucket's own policy
            "file_overwrite": False,
            "location": os.environ.get("LUUKKU_S3_PREFIX", "luukku"),
        },
    }
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_flag("LUUKKU_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE


def _email_settings(url: str) -> dict[str, object]:
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": query.get("starttls", ["0"])[0] in {"1", "true"},
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_TIMEOUT": 30,
    }


globals().update(_email_settings(os.environ.get("LUUKKU_SMTP_URL", "")))
# Campaign mail (channels/email/bulk.py): one or more SMTP servers, comma-separated, each
# with its own pace (e.g. smtp://relay:25?per_second=200). Empty: LUUKKU_SMTP_URL; and
# with neither, campaign mail is written to a Maildir under var/ for a person to read.
LUUKKU_BULK_SMTP_URLS = [
    url.strip()
    for url in os.environ.get("LUUKKU_BULK_SMTP_URLS", os.environ.get("LUUKKU_SMTP_URL", "")).split(
        ","
    )
    if url.strip()
]
LUUKKU_BULK_MAILDIR = VAR_DIR / "campaign-mail"
# Bounces come back to bounce+<delivery>-<signature>@ this domain (VERP); it should
# deliver to the inbound SMTP receiver. Empty: the domain of LUUKKU_FROM_EMAIL.
LUUKKU_BOUNCE_DOMAIN = os.environ.get("LUUKKU_BOUNCE_DOMAIN", "")
# What a sender handed over but had not yet recorded, kept beside the worker so that a
# worker killed mid-send neither loses nor repeats a message (campaigns/sending.py).
LUUKKU_SEND_JOURNAL_DIR = Path(
    os.environ.get("LUUKKU_SEND_JOURNAL_DIR", str(VAR_DIR / "send-journal"))
)
# A MaxMind-format city database for where campaign mail is opened (countries come
# with the geoip2fast package).
LUUKKU_GEOIP_CITY_FILE = os.environ.get("LUUKKU_GEOIP_CITY_FILE", "")
# Optional DKIM signing of campaign mail: the private key (PEM) file, selector, domain.
LUUKKU_DKIM_KEY_FILE = os.environ.get("LUUKKU_DKIM_KEY_FILE", "")
LUUKKU_DKIM_SELECTOR = os.environ.get("LUUKKU_DKIM_SELECTOR", "luukku")
LUUKKU_DKIM_DOMAIN = os.environ.get("LUUKKU_DKIM_DOMAIN", "")
# The SMS provider (channels/sms/provider.py), e.g. twilio://SID:TOKEN@api.twilio.com.
LUUKKU_SMS_URL = os.environ.get("LUUKKU_SMS_URL", "")
LUUKKU_SMS_SENDER = os.environ.get("LUUKKU_SMS_SENDER", "Luukku")
# Where staff reach Luukku: links in notification emails and SMS start with it.
LUUKKU_BASE_URL = os.environ.get("LUUKKU_BASE_URL", "http://localhost:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("LUUKKU_FROM_EMAIL", "Luukku <no-reply@localhost>")

# Live pages (desk/live.py): with Redis, changes are pushed to every web process at once;
# without it, each page's connection reads the change feed every two seconds.
CHANNEL_LAYERS: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}
if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS["default"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": "luukku"},
    }

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "bulk", "send", "journeys"],
    }
}
if env_flag("LUUKKU_IMMEDIATE_TASKS"):
    TASKS["default"] = {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"luukku": {"level": "INFO"}},
}

# Event batches carry up to 10,000 NDJSON lines; file uploads stream to disk regardless.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("LUUKKU_MAX_REQUEST_MB", "32")) * 1024 * 1024

NINJA_PAGINATION_CLASS = "luukku.core.restapi.pagination.CursorPagination"
