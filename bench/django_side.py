"""The parts of the benchmark that run inside Django, against the benchmark's own database.

bench/run.py starts this in a child process with DATABASE_URL and the production settings
in the environment, one process per catalogue size:

    python bench/django_side.py populate 5000   # synthetic platforms up to 5,000 in all
    python bench/django_side.py measure URL...  # SQL queries and bytes per URL, as JSON
"""

import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import brotli  # noqa: E402 - whitenoise[brotli] installs it
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from targets import CLIENT_HEADERS  # noqa: E402 - bench/, this script's own directory

from platforms.models import Fact, Platform  # noqa: E402
from platforms.synthetic import create_synthetic_platforms  # noqa: E402


def clear_caches():
    """Every cache empty: the pages and the kept result cards (config/caching.py), so a miss
    renders everything."""
    for each in caches.all():
        each.clear()


def populate(total):
    started = time.monotonic()
    missing = max(0, total - Platform.objects.count())
    with transaction.atomic():
        create_synthetic_platforms(missing)
    return {
        "platforms": Platform.objects.count(),
        "facts": Fact.objects.count(),
        "seconds": round(time.monotonic() - started, 1),
    }


def proxy_headers():
    """The header a TLS-terminating proxy would add, if the settings trust one."""
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not header:
        return {}
    name, value = header
    return {name.removeprefix("HTTP_").replace("_", "-").title(): value}


SLOW_MS = 2000


def timed_get(client, url, headers):
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers, secure=True)
    return response, queries.captured_queries, (time.perf_counter() - started) * 1000


def list_counts(queries):
    """How many of `queries` are a COUNT: the list runs its COUNT only when its results fill
    more than its first page (compare.views.PlatformListView.paginate_queryset), so that one
    query depends on what matched, not on the catalogue's size (the other pages measured
    here make none)."""
    return sum(q["sql"].startswith("SELECT COUNT(*)") for q in queries)


def median(values):
    return sorted(values)[len(values) // 2]


def measure(specs, misses=5, hits=5):
    """For each (name, url, headers): SQL queries and time when the page cache misses (it is
    cleared first) and when it hits, and the response's bytes. One request to each URL comes
    first, uncounted: it compiles the URL's templates, which a worker does once in its life,
    not on every miss. Requests carry the Accept-Encoding every browser sends, as wrk's do:
    a body the app keeps compressed is then sent as it is kept."""
    client = Client()
    rows = {}
    for name, url, headers in specs:
        headers = {**CLIENT_HEADERS, **headers}
        miss_ms, hit_ms = [], []
        clear_caches()
        client.get(url, headers=headers, secure=True)
        for _ in range(misses):
            clear_caches()
            response, miss_queries, ms = timed_get(client, url, headers)
            miss_counts, miss_queries = list_counts(miss_queries), len(miss_queries)
            miss_ms.append(ms)
            if ms > SLOW_MS:  # one sample of a slow page is enough
                break
        for _ in range(hits):
            response, hit_queries, ms = timed_get(client, url, headers)
            hit_queries = len(hit_queries)
            hit_ms.append(ms)
            if ms > SLOW_MS:
                break
        body = response.content
        if response.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        rows[name] = {
            "status": response.status_code,
            "queries_first": miss_queries,
            "counts_first": miss_counts,
            "queries_repeat": hit_queries,
            "miss_ms": round(median(miss_ms), 1),
            "hit_ms": round(median(hit_ms), 1),
            "bytes": len(body),
            "gzip_bytes": len(gzip.compress(body, compresslevel=6)),
            "br_bytes": len(brotli.compress(body, quality=5)),
        }
    return rows


def main(argv):
    command, args = argv[0], argv[1:]
    if command == "populate":
        result = populate(int(args[0]))
    elif command == "measure":
        result = measure(json.loads(args[0]))
    elif command == "settings":
        result = {
            "proxy_headers": proxy_headers(),
            "ssl_redirect": settings.SECURE_SSL_REDIRECT,
            "debug": settings.DEBUG,
            "caches": {k: v["BACKEND"] for k, v in settings.CACHES.items()},
            "static_root": str(settings.STATIC_ROOT),
        }
    else:
        raise SystemExit(f"unknown command {command!r}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
