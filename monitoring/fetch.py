"""Fetching cited pages politely: httpx, timeouts, a size cap, one request per host at a time.

`fetch_all(urls, settings)` fetches in a few threads, one per host at a time (each host's
addresses are fetched in turn by one worker), and yields a `Page` per address as each is
done. Nothing here touches the database; the command records what it yields.
"""

import dataclasses
import queue
import socket
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
from django.conf import settings as django_settings

from . import text

HTML_TYPES = {"text/html", "application/xhtml+xml"}
TEXT_TYPES = {"text/plain"}
GONE_STATUSES = {404, 410}


@dataclasses.dataclass(frozen=True)
class Limits:
    timeout: float = 15.0  # seconds to connect, and between bytes read
    deadline: float = 30.0  # seconds for the whole page, however slowly it arrives
    max_bytes: int = 5_000_000
    concurrency: int = 4  # hosts fetched at once
    max_redirects: int = 5
    user_agent: str = ""

    @classmethod
    def from_settings(cls, **overrides):
        configured = getattr(django_settings, "SOURCE_CHECKS", {})
        values = {**configured, **{k: v for k, v in overrides.items() if v is not None}}
        limits = cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
        if not limits.user_agent:
            site = getattr(django_settings, "SITE_URL", "")
            agent = f"TeletherapyCompareSourceCheck/1.0 (+{site}; checks cited pages daily)"
            limits = dataclasses.replace(limits, user_agent=agent)
        return limits


@dataclasses.dataclass
class Page:
    url: str
    status: str  # a SourceCheck.Status value
    http_status: int | None = None
    final_url: str = ""
    redirects: list = dataclasses.field(default_factory=list)
    content_type: str = ""
    text: str | None = None  # normalised text; None when not read (not HTML, failed)
    fingerprint: str = ""
    bytes_read: int = 0
    truncated: bool = False
    error: str = ""


def host_of(url):
    return (urlsplit(url).hostname or "").lower()


def no_such_host(url):
    """True when the address's host name does not resolve (the page is gone), False when
    it does, or the lookup itself failed for another reason (then: unreachable)."""
    host = host_of(url)
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror as error:
        return error.errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)}
    except (OSError, UnicodeError):
        return False
    return False


def read_body(response, limits, started):
    """The body, up to `limits.max_bytes`: past it the download stops (the rest is never
    read), and `truncated` says so."""
    chunks, size, truncated = [], 0, False
    for chunk in response.iter_bytes(chunk_size=64 * 1024):
        room = limits.max_bytes - size
        if len(chunk) > room:
            chunks.append(chunk[:room])
            size, truncated = limits.max_bytes, True
            break
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() - started > limits.deadline:
            raise httpx.ReadTimeout(f"the page took over {limits.deadline:g} s to arrive")
    return b"".join(chunks), size, truncated


def fetch(client, url, limits):
    """One page: never raises for what the network or the server does."""
    started = time.monotonic()
    page = Page(url=url, status="unreachable")
    try:
        with client.stream("GET", url) as response:
            page.http_status = response.status_code
            page.final_url = str(response.url)
            page.redirects = [
                [r.status_code, r.headers.get("location", "")] for r in response.history
            ]
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            page.content_type = kind[:200]
            if response.status_code in GONE_STATUSES:
                page.status = "gone"
                return page
            if not response.is_success:
                page.error = f"HTTP {response.status_code} {response.reason_phrase}"[:500]
                return page
            body, page.bytes_read, page.truncated = read_body(response, limits, started)
            encoding = response.encoding or "utf-8"
    except httpx.TooManyRedirects:
        page.error = f"more than {limits.max_redirects} redirects"
        return page
    except httpx.TimeoutException as error:
        page.error = f"timed out: {error}"[:500] if str(error) else "timed out"
        return page
    except httpx.ConnectError as error:
        if no_such_host(url):
            page.status, page.error = "gone", "no such host"
        else:
            page.error = f"could not connect: {error}"[:500]
        return page
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as error:
        page.error = f"{type(error).__name__}: {error}"[:500]
        return page
    if kind in HTML_TYPES or kind in TEXT_TYPES or (not kind and b"<html" in body[:1024].lower()):
        decoded = body.decode(encoding, errors="replace")
        words = text.html_text(decoded) if kind not in TEXT_TYPES else decoded
        page.text = text.normalise(words)
        page.fingerprint = text.fingerprint(page.text)
        page.status = "ok"
    else:
        page.fingerprint = text.fingerprint(body)
        page.status = "not_html"
    return page


def client_for(limits):
    timeout = httpx.Timeout(limits.timeout)
    return httpx.Client(
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        timeout=timeout,
        headers={
            "User-Agent": limits.user_agent,
            "Accept": "text/html, application/xhtml+xml, */*;q=0.5",
        },
        # One connection per host is all a worker ever uses.
        limits=httpx.Limits(
            max_connections=limits.concurrency, max_keepalive_connections=limits.concurrency
        ),
    )


def by_host(urls):
    hosts = OrderedDict()
    for url in urls:
        hosts.setdefault(host_of(url), []).append(url)
    return hosts


def fetch_all(urls, limits, fetcher=fetch):
    """Yield a Page for every address, in the order they finish.

    At most `limits.concurrency` hosts are fetched at once and each host's pages one after
    another, so no host ever sees two requests from us at the same time."""
    done = queue.Queue()
    hosts = by_host(urls)
    stop = threading.Event()

    def work(host_urls):
        with client_for(limits) as client:
            for url in host_urls:
                if stop.is_set():
                    return
                done.put(fetcher(client, url, limits))

    with ThreadPoolExecutor(max_workers=max(1, limits.concurrency)) as pool:
        futures = [pool.submit(work, group) for group in hosts.values()]
        try:
            for _ in range(len(urls)):
                while True:
                    try:
                        yield done.get(timeout=0.2)
                        break
                    except queue.Empty:
                        failed = [f for f in futures if f.done() and f.exception()]
                        if failed:
                            raise failed[0].exception() from None
        finally:
            stop.set()
