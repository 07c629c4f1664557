"""Bad input of any kind is the friendly 400 page, in production and under `make run`, and
one WARNING line in the log: never a 500, a debug page, or an ERROR with a traceback.

Each test here failed on the code before config.middleware.RejectBadInputMiddleware and
config.logging.ClientFaultAsWarning (issue 16, items 3, 5 and 8; issue 17).
"""

import pytest
from django.test import Client

from tests.config.site import PROD_ENV, run_python

pytestmark = pytest.mark.django_db

FRIENDLY = "That request couldn’t be understood"
TOO_MANY_FIELDS = "/?" + "&".join(["a"] * 1001)


def assert_friendly_400(response):
    assert response.status_code == 400
    html = response.content.decode()
    assert FRIENDLY in html, html[:500]
    assert "Traceback" not in html and "technical" not in html.lower()


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/", "/"])
def test_a_nul_in_a_cookie_is_a_400_before_the_session_is_read(client, url):
    # On PostgreSQL the session lookup with this key was a 500 (NUL in a query).
    cookie = 'sessionid="aa\\000bbccddeeffgghhiijjkkllmmnnoopp"; csrftoken=x'
    assert_friendly_400(client.get(url, HTTP_COOKIE=cookie))


@pytest.mark.parametrize(
    "header", ["User-Agent", "Accept-Language", "X-Forwarded-For", "Referer", "HX-Request"]
)
def test_a_nul_in_a_header_is_a_400(client, header):
    # django-axes writes the user agent of a failed login to the database.
    assert_friendly_400(client.get("/admin/login/", headers={header: "a\x00b"}))


@pytest.mark.parametrize("url", ["/criteria/%00", "/platforms/zoom%00/", "/admin/%00/"])
def test_a_nul_in_the_path_is_a_400(client, url):
    assert_friendly_400(client.get(url))


def test_a_nul_in_a_form_field_is_a_400(client):
    for data in [{"username": "ad\x00min", "password": "x"}, {"user\x00name": "a"}]:
        assert_friendly_400(client.post("/admin/login/", data))


def test_too_many_fields_and_too_big_a_body_are_400s(client):
    assert_friendly_400(client.get(TOO_MANY_FIELDS))
    big = {"username": "admin", "password": "x" * 3_000_000}  # over 2.5 MB
    assert_friendly_400(client.post("/admin/login/", big))


@pytest.mark.parametrize(
    "url", ["/?q=%00", TOO_MANY_FIELDS, "/compare/?p=%00"], ids=["nul", "fields", "compare"]
)
def test_make_run_shows_the_friendly_400_page_too(client, settings, url):
    # DEBUG on, as under `make run`: Django's debug page showed a traceback for ?q=%00, and
    # failed itself (a 500) on a query string with more than 1,000 fields.
    settings.DEBUG = True
    assert_friendly_400(Client(raise_request_exception=False).get(url))


# A fresh process with the production settings (config/logging.py to stderr), as gunicorn
# runs them: each client mistake is one WARNING line and no traceback.
LOG_CLIENT_FAULTS = """
import django
from django.conf import settings
django.setup()
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
from django.test import Client
requests = {
    "too-many-fields": lambda c: c.get(%(too_many)r, secure=True),
    "big-password": lambda c: c.post("/admin/login/", {"password": "x" * 3_000_000}, secure=True),
    "nul": lambda c: c.get("/?q=%%00", secure=True),
    "nul-cookie": lambda c: c.get("/admin/login/", secure=True,
                                  HTTP_COOKIE='sessionid="aa\\\\000bb"'),
    "forged-host": lambda c: c.get("/", secure=True, headers={"Host": "evil.example"}),
}
for request_id, send in requests.items():
    client = Client(raise_request_exception=False, headers={"X-Request-ID": request_id})
    print(send(client).status_code)
"""


def test_client_mistakes_are_logged_as_one_warning_line_without_a_traceback():
    env = {**PROD_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.prod"}
    result = run_python(LOG_CLIENT_FAULTS % {"too_many": TOO_MANY_FIELDS}, env)
    assert result.stdout.split() == ["400"] * 5, result.stderr
    lines = result.stderr.strip().splitlines()
    for request_id in ["too-many-fields", "big-password", "nul", "nul-cookie", "forged-host"]:
        mine = [line for line in lines if f"[{request_id}]" in line]
        assert len(mine) == 1, (request_id, result.stderr)
        assert " WARNING " in mine[0], mine[0]
        assert "Traceback" not in mine[0] and len(mine[0]) < 400, mine[0]
    assert " ERROR " not in result.stderr
