"""HTTP semantics of the public pages: GET and HEAD only, HEAD like GET, codings refused.

Each test failed on the code before this change (issue 16, item 7): /compare/ rendered the
page for POST and OPTIONS with no Allow, HEAD responses had no ETag, and whitenoise sent
gzip to `Accept-Encoding: gzip;q=0`.
"""

import gzip
import re

import pytest
from django.test import Client

from tests.config.site import comparison_query, public_urls

pytestmark = pytest.mark.django_db


# The pages that take a form, on purpose: subscribing to alerts, the confirm and unsubscribe
# links (a button, or a mail client's one-click POST, RFC 8058), a reader's correction.
FORM_PAGES = re.compile(
    r"/alerts/|/alerts/(confirm|unsubscribe)/[^/]+/|/platforms/[^/]+/facts/[^/]+/correction/"
)


def is_form_page(url):
    return FORM_PAGES.fullmatch(url) is not None


def allowed(response):
    return set(response.headers["Allow"].replace(" ", "").split(","))


def test_public_pages_refuse_other_methods_and_say_which_they_allow(client, seeded):
    urls = public_urls(client)
    assert "/compare/" in urls and len(urls) > 10
    assert any(is_form_page(url) for url in urls)
    for url in urls:
        options = client.options(url)
        assert options.status_code in {200, 405}, url
        assert {"GET", "HEAD"} <= allowed(options), url
        assert b"<html" not in options.content, url
        # Only a form page takes a POST (it answers a bad form with 400, tested in
        # tests/alerts); every other page refuses one and says which methods it allows.
        assert ("POST" in allowed(options)) == is_form_page(url), url
        if not is_form_page(url):
            post = client.post(url, {"p": "zoom"})
            assert post.status_code == 405, (url, post.status_code)
            assert {"GET", "HEAD"} <= allowed(post), url
        for method in ("put", "patch", "delete"):
            refused = getattr(client, method)(url)
            assert refused.status_code == 405, (method, url)
            assert allowed(refused) == allowed(options), (method, url)


def test_head_carries_the_etag_of_get_and_answers_304(client, seeded, page_cache):
    # With the page cache, as the site runs: without it /platforms.json was rebuilt for each
    # request, and its generated_at (to the second) gave the HEAD another ETag whenever the
    # two requests straddled a second.
    pages = ["/", "/criteria/", f"/compare/?{comparison_query()}", "/platforms.json"]
    for url in pages:
        get = client.get(url)
        head = client.head(url)
        assert head.status_code == 200, url
        assert head.content == b""
        assert head.headers.get("ETag") == get.headers["ETag"], url
        again = client.head(url, headers={"If-None-Match": get.headers["ETag"]})
        assert again.status_code == 304, url


@pytest.fixture
def compressed_static(settings, tmp_path):
    """A stylesheet with the gzip copy collectstatic would write beside it."""
    css = b"body { color: black; }\n" * 200
    (tmp_path / "probe.css").write_bytes(css)
    (tmp_path / "probe.css.gz").write_bytes(gzip.compress(css))
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]
    return "/static/probe.css"


@pytest.mark.parametrize(
    "accept,coded",
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000, identity", False),
        ("deflate, GZIP;Q=0", False),
        ("br;q=1, gzip;q=0", False),
        ("", False),
    ],
)
def test_a_refused_coding_is_never_sent(compressed_static, accept, coded):
    response = Client().get(compressed_static, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert (response.headers.get("Content-Encoding") == "gzip") is coded, accept
