"""The fetcher's manners: a few hosts at once, never two requests to one host at a time."""

import threading
import time
from collections import Counter

from monitoring.fetch import Limits, Page, fetch_all, host_of


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
