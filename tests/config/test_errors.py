"""Error pages give nothing away, and server errors are logged once, with the request id."""

import pytest
from django.conf import settings
from django.test import Client

from tests.config.error_urls import SECRET_DETAIL
from tests.config.site import PROD_ENV, run_python

pytestmark = pytest.mark.django_db

LEAKS = [
    "Traceback",
    "RuntimeError",
    SECRET_DETAIL,
    "forced_error_marker",
    "SELECT",
    "DATABASES",
    "SECRET_KEY",
    settings.SECRET_KEY,
    "site-packages",
    "/work/",
]


@pytest.mark.urls("tests.config.error_urls")
@pytest.mark.parametrize("url", ["/test-only/fail/", "/test-only/fail-after-sql/"])
def test_a_server_error_shows_a_plain_page_and_nothing_else(url):
    client = Client(raise_request_exception=False)
    response = client.get(url)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    for leak in LEAKS:
        assert leak not in html, leak
    assert response.headers["X-Request-ID"]
    # The reference on the page is the one in the logs, to be quoted in a report.
    assert f"<code>{response.headers['X-Request-ID']}</code>" in html
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_an_unknown_path_gets_the_friendly_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<html" in html and "couldn’t find that page" in html
    assert 'href="/"' in html  # a way back to the platform list
    assert "Using the URLconf" not in html  # Django's DEBUG page lists every route


def test_a_forged_host_header_is_a_400(client):
    response = client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "evil.example" not in html
    assert "DisallowedHost" not in html and "ALLOWED_HOSTS" not in html


LOG_FORGED_HOST = """
import django
from django.conf import settings
django.setup()
# No collectstatic in this process: plain static URLs for the 400 page's stylesheet link.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
from django.test import Client
response = Client().get("/", secure=True, headers={"Host": "evil.example"})
print(response.status_code)
"""


def test_a_forged_host_is_logged_as_a_warning_not_an_error():
    env = {**PROD_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.prod"}
    result = run_python(LOG_FORGED_HOST, env)
    assert result.stdout.split() == ["400"], result.stderr
    lines = [line for line in result.stderr.splitlines() if "evil.example" in line]
    assert len(lines) == 1, result.stderr
    assert " WARNING " in lines[0] and "django.security.DisallowedHost" in lines[0]


# In a fresh process with the production settings, as gunicorn runs them: a view fails and
# Django's log goes through config/logging.py to stderr.
LOG_ONE_ERROR = """
import django
from django.conf import settings
django.setup()
settings.ROOT_URLCONF = "tests.config.error_urls"
from django.test import Client
client = Client(raise_request_exception=False)
response = client.get("/test-only/fail/", secure=True, headers={"X-Request-ID": "%s"})
print(response.status_code, response.headers["X-Request-ID"])
"""


def test_a_server_error_is_logged_to_stderr_once_with_its_request_id():
    request_id = "proxy-4c1e9a"
    env = {**PROD_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.prod"}
    result = run_python(LOG_ONE_ERROR % request_id, env)
    assert result.stdout.split() == ["500", request_id], result.stderr
    lines = [line for line in result.stderr.splitlines() if request_id in line]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert " ERROR " in line and "django.request" in line
    assert "Internal Server Error: /test-only/fail/" in line
    # The traceback is folded into the same line, so a log collector keeps it together.
    assert "Traceback" in line and SECRET_DETAIL in line
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_log_lines_outside_a_request_say_so():
    code = "import django, logging; django.setup(); logging.getLogger('x').warning('a\\nb')"
    env = {**PROD_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.prod"}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("WARNING [-] x: a\\nb")


@pytest.mark.parametrize(
    "url", ["/compare/?p=%00&p=zoom", "/compare.csv?p=zoom%00&p=webex", "/?q=a%00b", "/?%00=1"]
)
def test_a_nul_in_the_query_string_is_a_400_before_any_view(client, url):
    # PostgreSQL refuses NUL in any query: without config.middleware.RejectBadInputMiddleware
    # ?p=%00 reached the database from the comparison pages as a 500.
    response = client.get(url)
    assert response.status_code == 400
    assert "That request couldn’t be understood" in response.content.decode()
