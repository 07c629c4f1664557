"""Benchmark the site at 50, 500 and 5,000 platforms and check the performance budget.

    make bench                          # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --sizes 50 --seconds 3 --load-seconds 10 --no-write

For each size: a fresh database (SQLite in a temp dir, or BENCH_DATABASE_URL, which is
flushed), migrate, the seed data, synthetic platforms up to the size, then gunicorn with the
production settings (DEBUG off). wrk measures each URL at 16 connections (bench/report.lua
prints one parseable line); SQL queries per request and response bytes are measured
in-process (bench/django_side.py) against the same database. Then 60 s at 64 connections
on the list page while the gunicorn workers' memory is sampled. Beside it, in the same run:
the bare 30-card Django app (bench/bare), a cache-bypass run, a miss storm of distinct valid
filters and, at the storm's size, normal requests while 50 slow-header clients are open,
against gunicorn alone and through nginx with deploy/nginx-site.conf. The tables and a
budget check go to stdout and bench/results.md. Figures, never pass/fail: this is not a test.

This file is the entry point: arguments, the run's settings and the sizes in turn. The rest:
bench/servers.py (gunicorn, nginx and the Django commands), bench/catalogue.py (one size end
to end), bench/measure.py (wrk, slow clients, workers' memory, static files),
bench/browser.py (Chromium's first load), bench/targets.py (the URLs and headers measured),
bench/report.py and bench/budget.py (the Markdown and the budget's verdicts).
"""

import argparse
import datetime
import os
import runpy
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

# Run as a script (`python bench/run.py`): the repository, not bench/, is the import root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue import bench_size, log  # noqa: E402
from bench.machine import load_average, machine, tool_version  # noqa: E402
from bench.report import report  # noqa: E402
from bench.servers import BENCH, GUNICORN, ROOT, django_side, manage  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,5000")
    parser.add_argument("--seconds", type=int, default=10, help="wrk time per URL in all")
    parser.add_argument("--rounds", type=int, default=3, help="rounds the time is split into")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout (s)")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--load-connections", type=int, default=64)
    parser.add_argument("--load-size", type=int, help="catalogue for the load run (largest)")
    parser.add_argument("--storm-size", type=int, help="catalogue for the miss storm (500)")
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    parser.add_argument("--notes", type=Path, default=BENCH / "notes.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.load_size = args.load_size or max(sizes)
    args.storm_size = args.storm_size or (500 if 500 in sizes else max(sizes))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    workdir = tempfile.mkdtemp(prefix="bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        # As behind a TLS-terminating proxy: wrk and the browser send X-Forwarded-Proto.
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "DATABASE_URL": f"sqlite:///{workdir}/settings.sqlite3",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_INSECURE_HTTP", None)
    log("== collectstatic")
    manage(env, "collectstatic", "--no-input", "-v0")
    info = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "wrk": tool_version(["wrk", "--version"]).split(" Copyright")[0],
        "load_start": load_average(),
        "database": "PostgreSQL (BENCH_DATABASE_URL)"
        if os.environ.get("BENCH_DATABASE_URL")
        else "SQLite, one file per size",
        "max_requests": runpy.run_path(str(ROOT / "gunicorn.conf.py")).get("max_requests", 0),
        "server": tool_version([GUNICORN, "--version"])
        + (", gunicorn.conf.py" if (ROOT / "gunicorn.conf.py").exists() else ""),
    }
    results = []
    try:
        site = django_side(env, "settings")
        proxy_headers = site["proxy_headers"]
        for index, size in enumerate(sizes):
            extras = set()
            if index == 0:
                extras |= {"static", "browser"}
            if size == args.storm_size:
                extras.add("slow")
            if size == args.load_size:
                extras.add("load")
            results.append(bench_size(size, args, env, workdir, proxy_headers, extras, site))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = load_average()
    text = report(results, info, args)
    print(text)
    if not args.no_write:
        args.out.write_text(text)
        shown = args.out.resolve()
        log(f"== written to {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")


if __name__ == "__main__":
    main()
