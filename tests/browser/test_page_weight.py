"""A first visit to the list page transfers under 100 kB, measured by Chromium itself.

The site's own server would not compress, so this test serves the site with Django's
GZipMiddleware in front of everything (static files included, through whitenoise): the
stand-in for the compressing proxy or whitenoise's precompressed files in production, where
brotli does better still (bench/results.md has the figure from gunicorn).
"""

import pytest
from django.conf import settings
from django.test.utils import override_settings
from pytest_django.live_server_helper import LiveServer

from platforms.models import Platform
from platforms.synthetic import create_synthetic_platforms

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BUDGET_BYTES = 100_000
CATALOGUE = 50  # the budget's catalogue size: more than a page of results


class ThroughMiddleware:
    """Hands /static/ to the middleware too (whitenoise), so it gets compressed like a page."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


@pytest.fixture
def compressing_site(seeded_committed):
    create_synthetic_platforms(CATALOGUE - Platform.objects.count())
    middleware = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        server = LiveServer("localhost:0", start=False)
        server.thread.static_handler = ThroughMiddleware
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "localhost"]):
            server.start()
            yield server.url
            server.stop()


def test_first_visit_to_the_list_transfers_under_100_kB(compressing_site, page):
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(compressing_site + "/", wait_until="networkidle")

    assert page.locator("#results .card").count() == 30  # a full page of results
    by_url = {}
    for request in responses:
        sizes = request.sizes()
        by_url[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
    document = next(r for r in responses if r.resource_type == "document")
    assert document.response().header_value("content-encoding") == "gzip"
    assert any("/static/" in url and url.endswith(".js") for url in by_url)
    assert any("/static/" in url and url.endswith(".css") for url in by_url)

    total = sum(by_url.values())
    print(f"\nfirst load of / at {CATALOGUE} platforms: {total} bytes in {len(by_url)} requests")
    for url, size in sorted(by_url.items(), key=lambda item: -item[1]):
        print(f"  {size:>7} {url.removeprefix(compressing_site)}")
    assert total < BUDGET_BYTES
