"""config.settings.prod, imported the way a server imports it: in a fresh process with only
the environment it is given."""

import json
import os
import runpy
from unittest import mock

import pytest

from tests.config.site import REPO, run_python

PROD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "x7!kQ2#vR9@mL4$wT8^zB1&nC6*pF3(hJ5)dG0_sY2+eU7-aK9=iO4~qX8",
    "ALLOWED_HOSTS": "compare.example.org",
    "DATABASE_URL": "postgres://teletherapy:secret@db.internal:5432/teletherapy",
}
SHOW_SETTINGS = """
import json
from django.conf import settings
names = ["DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_NAME",
         "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
         "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN",
         "SESSION_COOKIE_PATH", "CSRF_COOKIE_PATH", "SECURE_REFERRER_POLICY",
         "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SESSION_ENGINE", "CSRF_TRUSTED_ORIGINS"]
shown = {name: getattr(settings, name, None) for name in names}
shown["DB_ENGINE"] = settings.DATABASES["default"]["ENGINE"]
shown["DB_HOST"] = settings.DATABASES["default"]["HOST"]
print(json.dumps(shown))
"""


def prod_settings_with(**changes):
    env = {**PROD, **changes}
    env = {name: value for name, value in env.items() if value is not None}
    result = run_python(SHOW_SETTINGS, env)
    return result


def shown(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
@pytest.mark.parametrize("how", [None, ""])
def test_refuses_to_start_without_each_required_variable(missing, how):
    result = prod_settings_with(**{missing: how})
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: Set ")
    assert missing in last_line and "README.md" in last_line


def test_production_values():
    values = shown(prod_settings_with())
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["compare.example.org"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    # __Host- cookies: browsers accept them only with Secure, Path=/ and no Domain.
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        assert values[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert values[f"{cookie}_COOKIE_SAMESITE"] in {"Strict", "Lax"}
        assert values[f"{cookie}_COOKIE_PATH"] == "/"
        assert values[f"{cookie}_COOKIE_DOMAIN"] is None
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # only when the proxy is named
    # No per-process state: sessions live in the shared database.
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert values["DB_ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_HOST"] == "db.internal"


def test_the_proxy_header_and_trusted_origins_come_from_the_environment():
    values = shown(
        prod_settings_with(
            SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
            CSRF_TRUSTED_ORIGINS="https://compare.example.org, https://www.compare.example.org",
        )
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CSRF_TRUSTED_ORIGINS"] == [
        "https://compare.example.org",
        "https://www.compare.example.org",
    ]


def test_check_deploy_passes_at_warning_level():
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        PROD,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_key():
    # The check is what the test above relies on: it does fail on a bad setting.
    result = run_python(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        {**PROD, "SECRET_KEY": "short"},
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_insecure_http_is_refused_for_a_real_host():
    result = prod_settings_with(DJANGO_INSECURE_HTTP="1")
    assert result.returncode != 0
    assert "DJANGO_INSECURE_HTTP" in result.stderr.strip().splitlines()[-1]
    mixed = prod_settings_with(DJANGO_INSECURE_HTTP="1", ALLOWED_HOSTS="localhost,example.org")
    assert mixed.returncode != 0


def test_insecure_http_on_loopback_only_turns_https_off():
    values = shown(
        prod_settings_with(DJANGO_INSECURE_HTTP="1", ALLOWED_HOSTS="127.0.0.1,localhost")
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SESSION_COOKIE_NAME"] == "sessionid"  # __Host- needs Secure
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_HTTPONLY"] is True


def load_gunicorn_conf(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"BIND", "PORT", "WEB_CONCURRENCY"}}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return runpy.run_path(str(REPO / "gunicorn.conf.py"))


def test_gunicorn_conf_reads_the_environment():
    default = load_gunicorn_conf()
    assert default["bind"] == ["127.0.0.1:8000"]
    assert default["workers"] == 2 * os.cpu_count() + 1
    assert default["wsgi_app"] == "config.wsgi:application"
    assert default["accesslog"] == "-"
    assert load_gunicorn_conf(PORT="5000")["bind"] == ["0.0.0.0:5000"]
    assert load_gunicorn_conf(BIND="unix:/run/app.sock", PORT="5000")["bind"] == [
        "unix:/run/app.sock"
    ]
    assert load_gunicorn_conf(WEB_CONCURRENCY="3")["workers"] == 3


def test_gunicorn_accepts_the_config_and_loads_the_app():
    result = run_python(
        "import sys; from gunicorn.app.wsgiapp import run; "
        "sys.argv = ['gunicorn', '--check-config']; run()",
        # Without DJANGO_SETTINGS_MODULE: config/wsgi.py must pick the production settings.
        {name: value for name, value in PROD.items() if name != "DJANGO_SETTINGS_MODULE"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
