"""The page cache's keys are canonical, and its faults degrade to stale pages or a 503."""

import runpy
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.test.utils import CaptureQueriesContext

from config import caching
from platforms.models import Platform

BASE_SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings" / "base.py"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-cache-keys",
        }
    }
    yield
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"].clear()


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


@pytest.mark.parametrize(
    ("first", "same"),
    [
        ("/platforms.json", "/platforms.json?r=12345"),
        ("/platforms/zoom/", "/platforms/zoom/?utm_source=newsletter&x=1"),
        ("/?need=baa&need=waiting-room", "/?need=waiting-room&need=baa&need=baa&junk=1"),
        ("/?q=zoom", "/?q=zoom%20%20&ref=abc"),
        ("/compare/?p=zoom&p=webex", "/compare/?p=zoom&p=webex"),
    ],
)
def test_parameters_a_page_does_not_read_never_make_a_key(client, seeded, first, same):
    expected, _ = get(client, first)
    response, queries = get(client, same)
    assert expected.status_code == response.status_code == 200
    assert queries == 1  # the data version: the first URL's entry
    assert response.content == expected.content
    assert response["ETag"] == expected["ETag"]


def test_a_header_reaches_the_key_only_as_the_page_reads_it(client, seeded):
    # htmx's headers count as django-htmx reads them, "true" or not: junk is the full page.
    expected, _ = get(client, "/?need=baa")
    response, queries = get(client, "/?need=baa", **{"HX-Request": "yes", "HX-Boosted": "1"})
    assert queries == 1
    assert response.content == expected.content
    fragment, queries = get(client, "/?need=baa", **{"HX-Request": "true"})
    assert queries > 1 and b"<html" not in fragment.content


def test_junk_parameters_never_reach_the_pages_links(client, seeded):
    response, _ = get(client, "/?need=baa&utm_campaign=evil")
    html = response.content.decode()
    assert "utm_campaign" not in html and "evil" not in html
    assert "need=baa" in html


def test_the_order_of_compared_platforms_is_kept(client, seeded):
    one, _ = get(client, "/compare/?p=zoom&p=webex")
    other, queries = get(client, "/compare/?p=webex&p=zoom")
    assert queries > 1  # a page of its own: the columns are in the order asked for
    assert one.content != other.content


def test_a_page_that_refuses_unknown_parameters_still_does(client, seeded):
    response, _ = get(client, "/compare/?p=zoom&p=webex&utm=x")
    assert response.status_code == 400
    assert "does not understand" in response.content.decode()


def test_a_single_parameter_given_twice_is_a_clear_400(client, seeded):
    response, queries = get(client, "/?sort=name&sort=needs")
    assert response.status_code == 400
    assert "“sort” may be given only once" in response.content.decode()
    assert queries == 0


def test_the_printed_address_comes_from_settings_not_the_host_header(client, seeded, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    url = "/platforms/zoom/checklist/"
    first, _ = get(client, url, Host="evil.example:8443")
    again, queries = get(client, url)
    assert queries == 1  # one entry whatever the Host header
    for response in (first, again):
        html = response.content.decode()
        assert f"Printed from https://compare.example.org{url}" in html
        assert "evil.example" not in html


def test_the_etag_is_the_bodys_and_the_same_from_every_cache(client, seeded):
    first, _ = get(client, "/platforms.json")
    caches["default"].clear()  # as another server would, building it afresh
    again, queries = get(client, "/platforms.json")
    assert queries > 1
    assert first["ETag"] == again["ETag"]
    not_modified, _ = get(client, "/platforms.json", **{"If-None-Match": first["ETag"]})
    assert not_modified.status_code == 304


def test_browsers_revalidate_and_shared_caches_may_keep_briefly(client, seeded):
    response, _ = get(client, "/", **{"X-Forwarded-Proto": "https"})
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "s-maxage=60", "stale-if-error=3600"} <= directives


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    def down():
        monkeypatch.setattr(CursorWrapper, "execute", refuse)

    return down


def test_cached_pages_are_served_stale_while_the_database_is_down(client, seeded, database_down):
    fresh, _ = get(client, "/platforms/zoom/")
    database_down()
    response, _ = get(client, "/platforms/zoom/")
    assert response.status_code == 200
    assert response.content == fresh.content
    assert "database unavailable" in response["X-Stale-If-Error"]
    assert "served at most until" in response["X-Stale-If-Error"]


def test_the_stale_copy_is_the_last_good_one_whatever_the_data_version(
    client, seeded, database_down
):
    get(client, "/platforms/zoom/")
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary = "A summary edited just before the outage."
    zoom.save()  # a new data version: the page is built again, and kept as the stale copy
    fresh, _ = get(client, "/platforms/zoom/")
    database_down()
    response, _ = get(client, "/platforms/zoom/")
    assert response.status_code == 200 and response.has_header("X-Stale-If-Error")
    assert response.content == fresh.content
    assert "A summary edited just before the outage." in response.content.decode()


def test_a_stale_copy_is_served_only_for_a_bounded_time(
    client, seeded, database_down, monkeypatch, settings
):
    settings.STALE_IF_ERROR_SECONDS = 60
    get(client, "/platforms/zoom/")
    database_down()
    later = time.time() + 61
    monkeypatch.setattr(caching.time, "time", lambda: later)
    response, _ = get(client, "/platforms/zoom/")
    assert response.status_code == 503


@pytest.mark.parametrize("url", ["/platforms/webex/", "/changes/", "/criteria/"])
def test_other_pages_get_a_clear_503_while_the_database_is_down(
    client, seeded, database_down, url
):
    database_down()
    response, _ = get(client, url)
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_database_health_check_reads_real_tables(client, seeded, database_down):
    assert client.get("/healthz?db=1").status_code == 200
    database_down()
    response = client.get("/healthz?db=1")
    assert response.status_code == 503
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_an_unreachable_shared_cache_is_a_miss_not_an_error(client, seeded, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response, _ = get(client, "/platforms/zoom/")
    assert response.status_code == 200
    assert "Zoom" in response.content.decode()


def test_redis_url_selects_the_shared_cache(monkeypatch):
    # A fresh run of the settings module, not importlib.reload(): reloading replaced the
    # live module's TEMPLATES with one django-template-partials had not wrapped yet, and a
    # later test applying prod settings over them lost the partials loader (a 500 on "/").
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    fresh = runpy.run_path(str(BASE_SETTINGS))
    assert fresh["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert fresh["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"
