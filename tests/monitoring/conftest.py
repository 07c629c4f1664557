"""A local HTTP server for the source checks; nothing in these tests reaches the internet."""

import datetime
from urllib.parse import urlsplit

import httpx
import pytest
from model_bakery import baker
from pytest_httpserver import HTTPServer

from platforms.models import Citation, Fact, Source

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(autouse=True)
def only_local_requests(monkeypatch):
    """Any request to a host other than the test server's fails the test."""
    handle = httpx.HTTPTransport.handle_request

    def guarded(self, request):
        host = urlsplit(str(request.url)).hostname
        assert host in LOCAL_HOSTS, f"a test tried to reach {request.url}"
        return handle(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded)


@pytest.fixture
def server():
    # Threaded: a slow page's handler must not hold up the next request.
    httpserver = HTTPServer(host="127.0.0.1", threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    if httpserver.is_running():
        httpserver.stop()


def days_ago(days):
    return datetime.date.today() - datetime.timedelta(days=days)


def cited_fact(url, quote, state="yes", verified_days_ago=30, **fact_fields):
    """A fact in `state` whose one citation quotes `quote` from the page at `url`."""
    source = Source.objects.create(
        url=url,
        title="Test page",
        publisher="Test publisher",
        accessed_on=days_ago(40),
        kind=Source.Kind.VENDOR,
    )
    fact = baker.make(
        Fact,
        state=state,
        verified_on=days_ago(verified_days_ago),
        criterion__recommended="yes",
        **fact_fields,
    )
    Citation.objects.create(source=source, fact=fact, quote=quote, seen_on=days_ago(40))
    return fact


def html(body):
    return f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>"
