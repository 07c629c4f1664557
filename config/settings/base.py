"""Settings shared by every environment; dev, test and prod change only what differs."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def require_env(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (see README.md).")
    return value


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "template_partials",
    "csp",
    "simple_history",
    "axes",
    "platforms",
    "compare",
    "alerts",
    "monitoring",
    "corrections",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.middleware.HeadWithoutBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.CrossOriginResourcePolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    # `Accept-Encoding: gzip;q=0` means no gzip: said plainly before whitenoise reads it.
    "config.middleware.AcceptEncodingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag + 304 for every response that may be cached; the cache headers themselves are
    # decided in one place, below it and above anything that sets a cookie.
    "config.middleware.ConditionalGetMiddleware",  # Django's, for HEAD too
    "config.middleware.CacheHeadersMiddleware",
    # A database that cannot be reached: the 503 page (its process_exception sees the views').
    "config.faults.DatabaseUnavailableMiddleware",
    # A NUL anywhere (?p=%00, a cookie, a header, a form field), too many fields, a body too
    # big: the 400 page here, before the session, a view or PostgreSQL (a 500) sees them.
    "config.middleware.RejectBadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records which admin made each change in the history tables (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.site",
            ],
        },
    },
]

# SQLite is the embedded default; DATABASE_URL (e.g. postgres://user:pw@host:5432/db) wins.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":
    # Every transaction takes SQLite's write lock when it begins and waits up to `timeout`
    # seconds for it, so parallel saves queue instead of failing with "database is locked"
    # (a deferred transaction that reads, then writes, cannot wait: SQLite refuses at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=int(os.environ.get("SQLITE_TIMEOUT", "20"))
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The page cache (config/caching.py). Without REDIS_URL each process keeps its own (the
# embedded default); with it (redis://host:6379/0) every worker of every app server shares
# one, so a page is rendered once per data change for the whole site. A Redis that cannot be
# reached is a cache miss, not an error: short timeouts keep a request from waiting on it.
# "fragments" keeps the list's result cards (a few kB each) apart from the pages, so that
# thousands of cards never push a page out of a per-process cache's 300 entries.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 5000},  # about 10 MB per process at most
    },
}
if REDIS_URL := os.environ.get("REDIS_URL", "").strip():
    prefix = os.environ.get("CACHE_KEY_PREFIX", "teletherapy")
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix if alias == "default" else f"{prefix}-{alias}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
        }
        for alias in ("default", "fragments")
    }
# When the database cannot be reached, a public page the cache holds is served for at most
# this long after it was rendered, with an X-Stale-If-Error header saying so.
STALE_IF_ERROR_SECONDS = int(os.environ.get("STALE_IF_ERROR_SECONDS", "3600"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# The site ships in English only (no locale/ directory, no LocaleMiddleware): without the
# translation machinery each of a page's thousands of gettext, plural and get_language calls
# is a plain return instead of a catalogue lookup through a thread-local, a fifth of a
# page's render (bench/notes.md). The texts keep their gettext markers for a translation.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes and whitenoise serves from; a deployment may put it elsewhere.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# Brute-force protection on the admin login (django-axes, README "Admins"). AxesStandaloneBackend
# must come first: it refuses a locked-out username+address pair before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
# Hours as a number; a callable or timedelta would not survive an env var.
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
# The client address is REMOTE_ADDR, never a header the client can set: django-ipware is not
# installed, so axes has nothing else to read. Behind a reverse proxy, point
# AXES_CLIENT_IP_CALLABLE at a function that takes the proxy's own header (README "Admins").
AXES_CLIENT_IP_CALLABLE = os.environ.get("AXES_CLIENT_IP_CALLABLE") or None

# The site's own pages never embed one another and never need to be framed.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"  # config/middleware.py sends it
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4) on every response, the admin's included: only this
# site's own files, no inline code or styles, no eval, no plugins, never framed. htmx fetches
# fragments from this origin (connect-src) and is configured for it in templates/base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}
# Browsers revalidate every public page on each visit (max-age=0 with the ETag: a 304 when
# nothing changed); a CDN or shared proxy may keep one this long (s-maxage), see
# config/middleware.py and README "Caching".
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "60"))

# The site's own address, for absolute URLs printed on pages (the checklist's "Printed from"
# line) and in e-mails. Never the request's Host header: pages are cached and shown to
# everyone.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")

# Stderr, one line a record, with the id of the request that logged it (config/logging.py).
LOGGING = logging_config(os.environ.get("LOG_LEVEL", "WARNING"))

# --- E-mail ------------------------------------------------------------------------------
# Django's e-mail framework: SMTP from the environment (README, "E-mail"). `make run` prints
# messages in its terminal (dev.py); the tests keep them in memory (test.py).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Teletherapy Compare <alerts@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# --- end of e-mail -----------------------------------------------------------------------

# --- Source monitoring (manage.py check_sources, README "Checking sources daily") ---------
# Seconds to connect and between bytes, seconds for a whole page, bytes read at most, hosts
# fetched at once (each host one request at a time); the User-Agent names the site.
SOURCE_CHECKS = {
    "timeout": float(os.environ.get("SOURCE_CHECK_TIMEOUT", "15")),
    "deadline": float(os.environ.get("SOURCE_CHECK_DEADLINE", "30")),
    "max_bytes": int(os.environ.get("SOURCE_CHECK_MAX_BYTES", "5000000")),
    "concurrency": int(os.environ.get("SOURCE_CHECK_CONCURRENCY", "4")),
}
