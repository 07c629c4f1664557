"""Production: everything secret or host-specific comes from the environment.

The process refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL, and serves
only HTTPS: see README.md, "Deploying to production", for every variable.
"""

import logging

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list, os, require_env

DEBUG = False
SECRET_KEY = require_env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set the ALLOWED_HOSTS environment variable to the comma-separated host names this "
        "site answers to, e.g. ALLOWED_HOSTS=compare.example.org (see README.md)."
    )
# The address printed on pages: SITE_URL, else https:// and the first allowed host.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/") or f"https://{ALLOWED_HOSTS[0]}"
# A database that outlives the process and is shared by every app server: PostgreSQL.
# Without it the site would quietly write to a SQLite file inside the container.
require_env("DATABASE_URL")
# Origins allowed to POST (the admin) when they differ from the Host header, e.g. behind a
# proxy that rewrites it: comma-separated, with scheme (https://compare.example.org).
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS only: redirect http:// (except the load balancer's /healthz), and tell browsers for a
# year, subdomains included, never to try plain HTTP again.
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Where http:// redirects when HTTPS is served on another host or port (host[:port]);
# unset, the same host. tests/config/served.py uses it for a test server's random port.
SECURE_SSL_HOST = os.environ.get("SECURE_SSL_HOST", "").strip() or None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# `preload` lets the domain be submitted to the browsers' built-in HSTS list (hard to undo);
# SECURE_HSTS_PRELOAD=0 leaves it out.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Behind a proxy that terminates TLS, Django sees plain HTTP and would redirect forever. Name
# the header the proxy sets to "https" (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto) ONLY when
# that proxy always sets or overwrites it: a client could otherwise claim HTTPS itself.
if proxy_header := os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")

# Cookies (only the admin sets any): HTTPS only, out of reach of scripts, never sent on
# cross-site requests, and locked to this exact host by the __Host- prefix (which browsers
# accept only with Secure, Path=/ and no Domain, the defaults here).
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"

# DJANGO_INSECURE_HTTP=1 is for `make serve` on this machine only: plain HTTP on loopback,
# no HTTPS redirect, no HSTS, cookies without Secure (hence without the __Host- prefix).
# It is refused unless every allowed host is a loopback name, so it cannot be left on for
# a site that answers to a real host name.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
if env_bool("DJANGO_INSECURE_HTTP"):
    if not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_INSECURE_HTTP turns HTTPS off and is only for `make serve` on this "
            "machine: it is refused unless ALLOWED_HOSTS lists only 127.0.0.1, localhost or "
            f"[::1] (it lists {', '.join(ALLOWED_HOSTS)}). Unset DJANGO_INSECURE_HTTP."
        )
    SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
    SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "sessionid", "csrftoken"
    if not os.environ.get("SITE_URL", "").strip():
        SITE_URL = f"http://{ALLOWED_HOSTS[0]}"
    logging.getLogger(__name__).warning(
        "DJANGO_INSECURE_HTTP is set: serving plain HTTP on loopback, for local use only."
    )
