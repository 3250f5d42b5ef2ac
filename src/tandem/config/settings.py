"""Tandem's one settings module, driven by TANDEM_* environment variables (DESIGN.md §4)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from tandem.config.env import (
    env_bool,
    env_data_dir,
    env_database_url,
    env_email,
    env_hosts,
    env_optional_file,
    env_public_url,
    env_secret_key,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_data_dir()

DEBUG = env_bool("TANDEM_DEBUG", False)
# HTTPS hardening (secure cookies, HSTS, redirect) is on unless turned off for plain-http loopback use.
HTTPS = env_bool("TANDEM_HTTPS", not DEBUG)
SECRET_KEY = env_secret_key(DATA_DIR)
ALLOWED_HOSTS = env_hosts("TANDEM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
PUBLIC_URL = env_public_url()  # where patients' questionnaire links and reminder e-mails point
TIME_ZONE = env_time_zone()
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "ninja",
    "huey.contrib.djhuey",
    "tandem.core",
    "tandem.accounts",
    "tandem.audit",
    "tandem.patients",
    "tandem.safety",
    "tandem.referrals",
    "tandem.careplans",
    "tandem.scheduling",
    "tandem.billing",
    "tandem.charting",
    "tandem.outcomes",
    "tandem.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tandem.core.middleware.ContentSecurityPolicyMiddleware",
    "tandem.audit.context.AuditOriginMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tandem.config.urls"
WSGI_APPLICATION = "tandem.config.wsgi.application"

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
    }
]

DATABASE_URL = env_database_url(DATA_DIR)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue up instead of failing half-way with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "patient_list"
LOGOUT_REDIRECT_URL = "login"

# Lock-out: 5 failed logins for one username from one address lock that pair for 15 minutes; a
# clinic behind one NAT address must not be locked out as a whole by one mistyped password.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Sessions end after 30 idle minutes (every request renews) and when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; keep default behaviour
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a TLS-terminating proxy, which must overwrite this header from clients.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so `tandem serve` works without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

NINJA_PAGINATION_PER_PAGE = 50

# Visit-note templates: a clinic's own YAML instead of src/tandem/charting/note_templates.yaml (`tandem check`
# validates it: charting.E001).
TANDEM_NOTE_TEMPLATES = env_optional_file("TANDEM_NOTE_TEMPLATES")

# E-mail (appointment reminders): TANDEM_EMAIL_URL, default a file per message in DATA_DIR/outbox.
globals().update(env_email(DATA_DIR))
DEFAULT_FROM_EMAIL = os.environ.get("TANDEM_EMAIL_FROM", "Tandem <no-reply@tandem.invalid>")

# Background jobs (huey, SQLite storage in the data dir): periodic jobs such as the appointment reminders.
# `tandem run_huey` runs the consumer (`make run` starts one); every job is also a `tandem` command.
HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "tandem",
    "filename": str(DATA_DIR / "huey.sqlite3"),
    "immediate": False,
    "consumer": {"workers": 1, "worker_type": "thread"},
}
