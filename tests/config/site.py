"""Helpers for the hardening tests: production settings in-process, the site's public URLs.

The URL list is read from the URLconf, so a page, export or feed someone adds later is
fuzzed, scanned for XSS and header-checked without anyone editing these tests.
"""

import os
import re
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from platforms.models import Criterion, Platform

REPO = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "SECRET_KEY": "prod-like-test-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0-not-used-elsewhere",
    "ALLOWED_HOSTS": "testserver",
    "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3",
    # An empty folder as collectstatic's output: a fresh checkout has no staticfiles/ yet, and
    # whitenoise would warn about the missing folder on stderr.
    "STATIC_ROOT": tempfile.mkdtemp(prefix="teletherapy-static-"),
}
# Settings the test run keeps its own values for: its database, its key, its static files.
KEPT_FROM_TEST = {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASES", "STORAGES", "LOGGING"}


def prod_settings():
    """The settings of config.settings.prod (with PROD_ENV) that differ from the test run's.

    Read from the module itself, so a hardening setting added to prod.py is tested too.
    """
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_INSECURE_HTTP"}}
    with mock.patch.dict(os.environ, {**clean, **PROD_ENV}, clear=True):
        module = runpy.run_module("config.settings.prod")
    missing = object()
    return {
        name: value
        for name, value in module.items()
        if name.isupper()
        and name not in KEPT_FROM_TEST
        and getattr(settings, name, missing) != value
    }


def apply_prod_settings(settings_fixture):
    for name, value in prod_settings().items():
        setattr(settings_fixture, name, value)


def run_python(code, env=None, timeout=120):
    """Runs `code` in a fresh interpreter at the repository root with exactly `env`."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO)}
    return subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def routes():
    """(name, route with <converter:param> placeholders) for every URL outside the admin."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner == "admin":
                    continue
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = str(pattern.pattern)
                if route.startswith("^"):  # a regex route: only plain literal ones are usable
                    route = route.strip("^$").replace("\\", "")
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, prefix + route

    return list(walk(get_resolver(settings.ROOT_URLCONF).url_patterns, "/", None))


def sample_values(converter):
    """Values from the seed data to fill a path parameter with, most likely first."""
    if converter in {"int", "pk"}:
        return [str(pk) for pk in Platform.objects.values_list("pk", flat=True)[:1]] or ["1"]
    platforms = list(Platform.objects.published().values_list("slug", flat=True)[:2])
    criteria = list(Criterion.objects.values_list("slug", flat=True)[:1])
    return platforms + criteria or ["sample"]


def public_urls(client):
    """Every public URL, parameters filled with seed data a GET actually finds (not 404).

    A route that answers 400 without a query (a comparison) is listed bare and with two
    platforms to compare.

    Each parametrised route appears once per published platform slug that works, so a page
    about a platform is checked for two platforms when the seed data has them.
    """
    urls = []
    for _name, route in routes():
        params = ROUTE_PARAM.findall(route)
        if not params:
            urls.append(route)
            # A page that needs a query (a comparison, its exports) is also visited with one.
            if client.get(route, secure=True).status_code == 400:
                urls.append(f"{route}?{comparison_query()}")
            continue
        filled = []
        for value in sample_values(params[0][0]):
            url = ROUTE_PARAM.sub(value, route)
            if client.get(url, secure=True).status_code != 404:
                filled.append(url)
        urls.extend(filled or [ROUTE_PARAM.sub(sample_values(params[0][0])[0], route)])
    return sorted(set(urls))


def comparison_query():
    """A query string comparing the first two published platforms."""
    slugs = list(Platform.objects.published().values_list("slug", flat=True)[:2])
    return "&".join(f"p={slug}" for slug in slugs)
