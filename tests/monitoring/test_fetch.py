"""The fetcher's manners: a few hosts at once, never two requests to one host at a time."""

import socket
import threading
import time
from collections import Counter

import httpx

from monitoring.fetch import Limits, Page, fetch, fetch_all, host_of


def test_at_most_one_request_per_host_and_a_few_hosts_at_once():
    lock = threading.Lock()
    in_flight, most_per_host, most_overall = Counter(), Counter(), [0]

    def fetcher(client, url, limits):
        host = host_of(url)
        with lock:
            in_flight[host] += 1
            most_per_host[host] = max(most_per_host[host], in_flight[host])
            most_overall[0] = max(most_overall[0], sum(in_flight.values()))
        time.sleep(0.05)
        with lock:
            in_flight[host] -= 1
        return Page(url=url, status="ok")

    urls = [f"https://host{h}.test/page{p}" for h in range(6) for p in range(4)]
    pages = list(fetch_all(urls, Limits(concurrency=3), fetcher=fetcher))
    assert sorted(page.url for page in pages) == sorted(urls)
    assert set(most_per_host.values()) == {1}
    assert 1 < most_overall[0] <= 3


def test_a_worker_that_breaks_fails_the_run():
    def fetcher(client, url, limits):
        raise RuntimeError("bug in the fetcher")

    try:
        list(fetch_all(["https://a.test/"], Limits(concurrency=1), fetcher=fetcher))
    except RuntimeError as error:
        assert "bug in the fetcher" in str(error)
    else:
        raise AssertionError("the error was swallowed")


def refused_connection(request):
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def failing_lookup(errno):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(errno, "lookup failed")

    return getaddrinfo


def test_a_host_that_does_not_resolve_is_a_gone_page(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", failing_lookup(socket.EAI_NONAME))
    client = httpx.Client(transport=httpx.MockTransport(refused_connection))
    page = fetch(client, "https://vendor-gone.invalid/baa", Limits())
    assert (page.status, page.error) == ("gone", "no such host")


def test_a_failed_lookup_for_another_reason_is_unreachable_not_gone(monkeypatch):
    # EAI_AGAIN: the resolver itself did not answer; the page may well be there tomorrow.
    monkeypatch.setattr(socket, "getaddrinfo", failing_lookup(socket.EAI_AGAIN))
    client = httpx.Client(transport=httpx.MockTransport(refused_connection))
    page = fetch(client, "https://vendor.example/baa", Limits())
    assert page.status == "unreachable"
    assert page.error.startswith("could not connect")
