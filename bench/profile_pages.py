"""Profile uncached pages in-process, against a benchmark database (bench/run.py makes them).

    DATABASE_URL=sqlite:///bench-500.sqlite3 DJANGO_SETTINGS_MODULE=config.settings.prod \\
        SECRET_KEY=x ALLOWED_HOSTS=testserver \\
        .venv/bin/python bench/profile_pages.py [PAGE ...] [--profile PAGE] [--sql N]

Prints the median time of a cache miss (the page cache cleared before each request) and the
SQL queries of each page (with the time spent in `execute`: SQLite reads most rows later, on
fetch) and the load average after it; with --profile PAGE, cProfile's top functions for that
page.
Figures for finding what to fix, not a test.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from targets import CLIENT_HEADERS  # noqa: E402 - bench/, this script's own directory

NEEDS = "need=baa&need=waiting-room&need=browser-join"
PAGES = {
    "list": ("/", {}),
    "filtered": (f"/?{NEEDS}", {}),
    "fragment": (f"/?{NEEDS}", {"HX-Request": "true"}),
    "cheapest": (f"/?{NEEDS}&sort=cheapest", {}),
    "needs": (f"/?{NEEDS}&sort=needs", {}),
    "vendor": (f"/?{NEEDS}&vendor_only=1", {}),
    "storm": ("/?q=qx&sort=needs&need=baa&need=e2ee", {}),
    "storm-all": ("/?q=at&sort=verified&need=baa&need=waiting-room", {}),
    "platform": ("/platforms/zoom/", {}),
    "checklist": ("/platforms/zoom/checklist/", {}),
    "compare": ("/compare/?p=zoom&p=webex&p=doxy-me&p=vsee", {}),
    "json": ("/platforms.json", {}),
}


class QueryLog:
    """Each SQL statement a block runs, with its time (connection.execute_wrapper)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql))

    def __enter__(self):
        self.wrapper = connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)


def clear_caches():
    """Every cache empty: the pages and the kept result cards (config/caching.py), so a miss
    renders everything."""
    for each in caches.all():
        each.clear()


def get(client, url, headers):
    clear_caches()
    started, cpu = time.perf_counter(), time.process_time()
    # With the Accept-Encoding browsers send, as bench/django_side.py measures.
    response = client.get(url, headers={**CLIENT_HEADERS, **headers}, secure=True)
    assert response.status_code == 200, (url, response.status_code)
    # CPU time too: on a machine shared with other work it moves far less than wall time.
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", default=list(PAGES))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--profile", help="a page key: print cProfile's top functions")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--sql", type=int, default=0, help="print the N slowest queries")
    parser.add_argument("--sql-chars", type=int, default=300)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    client = Client()
    for key in args.pages:
        url, headers = PAGES[key]
        get(client, url, headers)  # templates compiled, connection open
        with QueryLog() as log:
            get(client, url, headers)
        times, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = get(client, url, headers)
            times.append(wall)
            cpus.append(cpu)
            if wall > 3000:
                break
        times.sort()
        cpus.sort()
        print(
            f"{key:10} median {times[len(times) // 2]:8.1f} ms  min {times[0]:8.1f} ms  "
            f"CPU median {cpus[len(cpus) // 2]:8.1f} ms  "
            f"{len(log.queries)} queries, {sum(t for t, _ in log.queries):.1f} ms in execute  "
            # Wall time on a shared machine means little without how busy it was.
            f"load {Path('/proc/loadavg').read_text().split()[0]}",
            flush=True,
        )
        if args.sql:
            for ms, sql in sorted(log.queries, reverse=True)[: args.sql]:
                print(f"    {ms:8.1f} ms  {sql[: args.sql_chars]}")
    if args.profile:
        url, headers = PAGES[args.profile]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            get(client, url, headers)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
