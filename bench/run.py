"""Benchmark the site at 50, 500 and 5,000 platforms and check the performance budget.

    make bench                          # or: .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --sizes 50 --seconds 3 --load-seconds 10 --no-write

For each size: a fresh database (SQLite in a temp dir, or BENCH_DATABASE_URL, which is
flushed), migrate, the seed data, synthetic platforms up to the size, then gunicorn with the
production settings (DEBUG off). wrk measures each URL at 16 connections (bench/report.lua
prints one parseable line); SQL queries per request and response bytes are measured
in-process (bench/django_side.py) against the same database. Then 60 s at 64 connections
on the list page while the gunicorn workers' memory is sampled. The tables and a budget
check go to stdout and bench/results.md. Figures, never pass/fail: this is not a test.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
NEEDS = "need=baa&need=waiting-room&need=browser-join"
# What every browser and HTTP library sends; the app compresses only /platforms.json over
# 1 MB (platforms/caching.py), the rest is left to a proxy.
CLIENT_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}

# (key, label, path, extra headers)
URLS = [
    ("healthz", "/healthz (baseline)", "/healthz", {}),
    ("list", "List page", "/", {}),
    ("filtered", "Filtered list, 3 needs", f"/?{NEEDS}", {}),
    ("fragment", "htmx fragment of that filter", f"/?{NEEDS}", {"HX-Request": "true"}),
    ("platform", "Platform page", "/platforms/zoom/", {}),
    ("compare", "4-way compare", "/compare/?p=zoom&p=webex&p=doxy-me&p=vsee", {}),
    ("json", "/platforms.json", "/platforms.json", {}),
]

# Budget (issue 7), checked on the smallest catalogue.
MIN_SHARE_OF_BASELINE = 0.30
MIN_FRAGMENT_SPEEDUP = 2.0
MAX_P99_MS = 100
MAX_LIST_HTML = 60_000
MAX_FIRST_LOAD = 100_000


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, env, capture=False):
    result = subprocess.run(
        args, cwd=ROOT, env=env, check=False, text=True, capture_output=True, timeout=1800
    )
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else None


def django_side(env, *args):
    out = run([PYTHON, str(BENCH / "django_side.py"), *args], env, capture=True)
    return json.loads(out)


def manage(env, *args):
    run([PYTHON, "manage.py", *args], env)


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def tool_version(args):
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError:
        return "missing"
    return (result.stdout + result.stderr).strip().splitlines()[0]


class Server:
    """gunicorn with the production settings on a free local port."""

    def __init__(self, env, workdir, app="config.wsgi:application", ready_path="/healthz"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        args = [GUNICORN, app, "--bind", f"127.0.0.1:{self.port}"]
        if (ROOT / "gunicorn.conf.py").exists():
            args += ["-c", str(ROOT / "gunicorn.conf.py")]
        else:
            args += ["--workers", str(2 * (os.cpu_count() or 1) + 1)]
        self.log_path = Path(workdir) / f"gunicorn-{self.port}.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def wait_ready(self, headers, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log_path}")
            try:
                status, _, _ = fetch(self.base + self.ready_path, headers)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz in {timeout} s; see {self.log_path}")

    def worker_pids(self):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


def fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def rss_kib(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+)", status)
    return int(match[1]) if match else 0


class MemorySampler(threading.Thread):
    """Samples the workers' resident memory every 100 ms; keeps each worker's peak."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.peaks = {}
        self.peak_total = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            sizes = {pid: rss_kib(pid) for pid in self.server.worker_pids()}
            for pid, size in sizes.items():
                self.peaks[pid] = max(self.peaks.get(pid, 0), size)
            self.peak_total = max(self.peak_total, sum(sizes.values()))
            self.stopping.wait(0.1)

    def stop(self):
        self.stopping.set()
        self.join()


def random_url_script():
    """report.lua's reporting with random.lua's distinct URL per request, in one script."""
    path = Path(tempfile.gettempdir()) / "bench-random-urls.lua"
    path.write_text((BENCH / "report.lua").read_text() + "\n" + (BENCH / "random.lua").read_text())
    return path


def wrk(base, path, headers, connections, seconds, timeout, mode=None):
    script = random_url_script() if mode else BENCH / "report.lua"
    args = [
        "wrk",
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={timeout}s",
        f"--script={script}",
    ]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    result = subprocess.run(
        [*args, base + path, *([mode] if mode else [])],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 120,
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no BENCH line:\n{result.stdout}\n{result.stderr}")
    figures = {}
    for pair in line.split()[1:]:
        key, value = pair.split("=")
        figures[key] = float(value) if "." in value else int(value)
    figures["socket_errors"] = sum(figures[k] for k in ("connect", "read", "write", "timeout"))
    return figures


def median_round(rounds):
    """The round with the median requests/s, with errors summed over all rounds."""
    ranked = sorted(rounds, key=lambda r: r["rps"])
    median = dict(ranked[len(ranked) // 2])
    for field in ("non2xx", "connect", "read", "write", "timeout", "socket_errors"):
        median[field] = sum(r[field] for r in rounds)
    median["rounds"] = len(rounds)
    return median


def static_weights(base, headers):
    """Bytes of each stylesheet and script the list page links, per Accept-Encoding."""
    _, _, body = fetch(base + "/", headers)
    paths = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', body.decode())))
    rows = []
    for path in paths:
        row = {"path": path}
        for encoding in ("identity", "gzip", "br"):
            status, response_headers, content = fetch(
                base + path, {**headers, "Accept-Encoding": encoding}
            )
            row[encoding] = len(content)
            row[f"{encoding}_served_as"] = response_headers.get("Content-Encoding", "identity")
            row["status"] = status
            row["cache_control"] = response_headers.get("Cache-Control", "")
        rows.append(row)
    return rows


def browser_first_load(base, headers):
    """What Chromium transfers for a first visit to the list page, or None without it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        return None
    transferred = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(extra_http_headers=headers)
        page.on("requestfinished", lambda request: transferred.append(request))
        page.goto(base + "/", wait_until="networkidle")
        total = 0
        for request in transferred:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        result = {"bytes": total, "requests": len(transferred)}
        browser.close()
    return result


def bench_size(size, args, env, workdir, proxy_headers, extras):
    db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench-{size}.sqlite3"
    env = {**env, "DATABASE_URL": db_url}
    log(f"== {size} platforms: migrate, seed, synthetic data")
    manage(env, "migrate", "--no-input", "-v0")
    if os.environ.get("BENCH_DATABASE_URL"):
        manage(env, "flush", "--no-input", "-v0")
    manage(env, "seed", "-v0")
    populated = django_side(env, "populate", str(size))
    log(f"   {populated['platforms']} platforms, {populated['facts']} facts")

    specs = [[key, path, headers] for key, _, path, headers in URLS]
    inprocess = django_side(env, "measure", json.dumps(specs))

    results = {"size": size, "populated": populated, "urls": {}}
    results["bare"] = bare_figures(args, env, workdir)
    server = Server(env, workdir)

    def measure(path, headers, seconds, connections=args.connections):
        headers = {**CLIENT_HEADERS, **proxy_headers, **headers}
        return wrk(server.base, path, headers, connections, seconds, args.timeout)

    try:
        server.wait_ready(proxy_headers)
        if "load" in extras:  # first, so the workers' memory is the list page's alone
            fetch(server.base + "/", proxy_headers)
            log(f"   load: {args.load_connections} connections, {args.load_seconds} s on /")
            sampler = MemorySampler(server)
            sampler.start()
            figures = measure("/", {}, args.load_seconds, args.load_connections)
            sampler.stop()
            results["load"] = {
                **figures,
                "workers": len(sampler.peaks),
                "worker_peak_mib": [round(kib / 1024, 1) for kib in sampler.peaks.values()],
                "workers_peak_total_mib": round(sampler.peak_total / 1024, 1),
            }
        # A page that takes seconds to build (the whole dataset of a large catalogue) keeps
        # every worker busy long after wrk stops: it is warmed up once and measured once,
        # after the others, so that it cannot hold them up.
        slow = {key for key, *_ in URLS if inprocess[key]["miss_ms"] > 1000}
        # Warm up templates, connections and each worker's page cache: requests in parallel,
        # as many as there are workers, so that each (sync) worker takes one.
        workers = len(server.worker_pids())
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            for _key, _label, path, headers in URLS:
                url, sent = server.base + path, {**CLIENT_HEADERS, **proxy_headers, **headers}
                count = 3 * workers
                list(pool.map(fetch, [url] * count, [sent] * count))
        # Rounds through all URLs rather than one long run each, so that a burst of other
        # work on the machine hits every URL alike; each URL reports its median round.
        seconds = max(1, round(args.seconds / args.rounds))
        rounds = {key: [] for key, *_ in URLS}
        for number in range(1, args.rounds + 1):
            log(
                f"   round {number}/{args.rounds}: "
                f"wrk, {args.connections} connections, {seconds} s per URL"
            )
            for key, _, path, headers in URLS:
                if key not in slow:
                    rounds[key].append(measure(path, headers, seconds))
        for key, _, path, headers in URLS:
            if key in slow:
                log(f"   after the rounds: {path}, {args.seconds} s")
                rounds[key].append(measure(path, headers, args.seconds))
            results["urls"][key] = {**median_round(rounds[key]), **inprocess[key]}
        # A parameter the page does not read, new on every request: served from the cache.
        log(f"   cache bypass: /platforms.json?r=<random>, {args.connections} connections")
        results["bypass"] = wrk(
            server.base,
            "/",
            {**CLIENT_HEADERS, **proxy_headers},
            args.connections,
            args.seconds,
            args.timeout,
            mode="bypass",
        )
        if size == args.storm_size:
            log(f"   miss storm: distinct valid filters, {args.load_connections} connections")
            results["storm"] = wrk(
                server.base,
                "/",
                {**CLIENT_HEADERS, **proxy_headers},
                args.load_connections,
                args.seconds,
                args.timeout,
                mode="storm",
            )
        if "static" in extras:
            results["static"] = static_weights(server.base, proxy_headers)
        if "browser" in extras:
            results["first_load"] = browser_first_load(server.base, proxy_headers)
    finally:
        server.stop()
    return results


def bare_figures(args, env, workdir):
    """The bare 30-card Django app (bench/bare) under the same gunicorn: requests/s at the
    run's connections, and one request's time at 1 connection (its render, no queue)."""
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.app"}
    server = Server(bare_env, workdir, app="bench.bare.app:application", ready_path="/")
    try:
        server.wait_ready({})
        for _ in range(20):
            fetch(server.base + "/", {})
        loaded = wrk(
            server.base, "/", CLIENT_HEADERS, args.connections, args.seconds, args.timeout
        )
        single = wrk(server.base, "/", CLIENT_HEADERS, 1, max(1, args.seconds // 3), args.timeout)
    finally:
        server.stop()
    return {"rps": loaded["rps"], "p50_ms": single["p50_ms"]}


def ms(value):
    return f"{value:.1f}"


def kb(value):
    return f"{value / 1000:.1f} kB"


def size_table(result):
    urls = result["urls"]
    baseline = urls["healthz"]["rps"]
    lines = [
        "| URL | req/s | × baseline | p50 ms | p99 ms | non-2xx | socket errors "
        "| SQL queries | uncached ms | bytes | gzip | br | cached: req/s ÷ bare "
        "| uncached: ms ÷ bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    bare = result["bare"]
    for key, label, _, _ in URLS:
        row = urls[key]
        queries = str(row["queries_first"])
        if row["queries_repeat"] != row["queries_first"]:
            queries += f" (cached: {row['queries_repeat']})"
        if row["requests"]:
            speed = (
                f"{row['rps']:.0f} | {row['rps'] / baseline:.2f} | {ms(row['p50_ms'])} "
                f"| {ms(row['p99_ms'])}"
            )
        else:  # wrk saw no response finish within the run
            speed = f"none in {row['seconds']:.0f} s | 0 | — | —"
        lines.append(
            f"| {label} | {speed} | {row['non2xx']} | {row['socket_errors']} | {queries} "
            f"| {ms(row['miss_ms'])} | {kb(row['bytes'])} | {kb(row['gzip_bytes'])} "
            f"| {kb(row['br_bytes'])} | {row['rps'] / bare['rps']:.2f} "
            f"| {row['miss_ms'] / bare['p50_ms']:.1f} |"
        )
    lines += [
        "",
        f"Bare Django, 30 cards (bench/bare, same gunicorn.conf.py): {bare['rps']:.0f} req/s "
        f"at {result['urls']['list'].get('connections', 16)} connections; one request "
        f"{ms(bare['p50_ms'])} ms at 1 connection.",
    ]
    for key, text in (
        ("bypass", "Cache bypass, `/platforms.json?r=<random>`"),
        ("storm", "Miss storm, distinct valid list filters (`?q=<2 letters>&need=…&sort=…`)"),
    ):
        if key in result:
            run = result[key]
            lines.append(
                f"{text}: {run['rps']:.0f} req/s, p50 {ms(run['p50_ms'])} ms, p99 "
                f"{ms(run['p99_ms'])} ms, {run['non2xx']} non-2xx, {run['socket_errors']} "
                "socket errors."
            )
    return "\n".join(lines)


def budget(results, extras_result):
    """Each budget line of issue 7 with the figure that decides it."""
    small = results[0]
    urls = small["urls"]
    base = urls["healthz"]["rps"]
    checks = []

    def check(ok, text):
        checks.append(f"- **{'met' if ok else 'NOT met'}**: {text}")

    n = small["size"]
    for key in ("list", "compare"):
        share = urls[key]["rps"] / base
        check(
            share >= MIN_SHARE_OF_BASELINE,
            f"{key} page at {share:.0%} of the baseline's requests/s at {n} platforms "
            f"({urls[key]['rps']:.0f} vs {base:.0f}; budget ≥ {MIN_SHARE_OF_BASELINE:.0%}).",
        )
    speedup = urls["fragment"]["rps"] / urls["filtered"]["rps"]
    check(
        speedup >= MIN_FRAGMENT_SPEEDUP,
        f"htmx fragment at {speedup:.2f}× the full filtered list's requests/s "
        f"({urls['fragment']['rps']:.0f} vs {urls['filtered']['rps']:.0f}; budget ≥ "
        f"{MIN_FRAGMENT_SPEEDUP:.0f}×).",
    )
    slow = [
        f"{label} {urls[key]['p99_ms']:.0f} ms"
        for key, label, _, _ in URLS
        if urls[key]["p99_ms"] >= MAX_P99_MS
    ]
    worst = max(URLS, key=lambda u: urls[u[0]]["p99_ms"])
    check(
        not slow,
        f"p99 under {MAX_P99_MS} ms at {small['urls']['list'].get('connections', 16)} "
        f"connections and {n} platforms: "
        + (
            "over budget: " + ", ".join(slow)
            if slow
            else f"worst is {worst[1]} at {urls[worst[0]]['p99_ms']:.1f} ms"
        )
        + ".",
    )
    grew = []
    for key, label, _, _ in URLS:
        counts = [r["urls"][key]["queries_first"] for r in results]
        if len(set(counts)) > 1:
            grew.append(f"{label}: {' → '.join(map(str, counts))}")
    sizes = " → ".join(str(r["size"]) for r in results)
    uncached = [
        f"{label} at {r['size']}"
        for r in results
        for key, label, _, _ in URLS
        if key != "healthz" and r["urls"][key]["queries_repeat"] != 1
    ]
    check(
        not grew,
        f"SQL queries per page constant from {sizes} platforms (uncached)"
        + (": they change for " + "; ".join(grew) if grew else "")
        + "; a cached page costs 1 query"
        + (f", except pages too big to cache: {', '.join(uncached)}" if uncached else "")
        + ".",
    )
    html = urls["list"]["bytes"]
    check(
        html < MAX_LIST_HTML,
        f"list page HTML {kb(html)} at {n} platforms (budget < {kb(MAX_LIST_HTML)}; "
        f"{kb(urls['list']['gzip_bytes'])} gzipped).",
    )
    first = extras_result.get("first_load")
    if first:
        check(
            first["bytes"] < MAX_FIRST_LOAD,
            f"first load of the list page in Chromium, served by gunicorn with the production "
            f"settings: {kb(first['bytes'])} over {first['requests']} requests "
            f"(budget < {kb(MAX_FIRST_LOAD)}).",
        )
    else:
        checks.append("- **not measured here**: first load in Chromium (no Playwright/Chromium).")
    load = extras_result.get("load")
    if load:
        check(
            load["non2xx"] == 0 and load["socket_errors"] == 0,
            f"load: {load['requests']} requests in {load['seconds']:.0f} s at 64 connections on "
            f"the list page: {load['non2xx']} non-2xx, {load['socket_errors']} socket errors.",
        )
    return "\n".join(checks)


def report(results, info, args):
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); figures from one run, not a test. Compare "
        "rows within a run: the baseline (`/healthz`) absorbs the machine's noise.",
        "",
        f"- Date: {info['date']}",
        f"- Machine: {info['machine']['nproc']} CPUs ({info['machine']['cpu']}), "
        f"{info['machine']['ram_gib']} GiB RAM, Linux {info['machine']['kernel']}, "
        f"Python {info['machine']['python']}",
        f"- Database: {info['database']}; server: {info['server']}",
        f"- Load generator: {info['wrk']}, {args.connections} connections, {args.seconds} s "
        "per URL, on the same machine as the server (they share the CPUs)",
        f"- 1-minute load average at the start and the end of the run: {info['load_start']} "
        f"and {info['load_end']} (anything above 0 at the start is other processes competing "
        f"for the {info['machine']['nproc']} CPUs before the benchmark adds its own)",
        "",
    ]
    for result in results:
        out += [
            f"## {result['size']:,} platforms",
            "",
            f"{result['populated']['facts']:,} facts; synthetic data added in "
            f"{result['populated']['seconds']} s.",
            "",
            size_table(result),
            "",
        ]
    out += [
        "req/s, p50 and p99 come from wrk against gunicorn, from the median of "
        f"{args.rounds} rounds through all URLs ({args.seconds} s per URL in all; non-2xx "
        'and socket errors are summed over the rounds); "× baseline" divides by '
        "`/healthz` in the same run. SQL queries and *uncached ms* come from Django's test "
        "client in one process on the same database: queries when the page cache misses "
        "(cleared first; the first request after an edit) and, in brackets, when it hits; "
        "*uncached ms* is the median time of such a miss. Bytes are the body as rendered, "
        "then gzip -6 and brotli -5 of it, what a compressing proxy would send; wrk sends "
        f"`Accept-Encoding: {CLIENT_HEADERS['Accept-Encoding']}` as browsers do, and the app "
        "itself compresses only bodies over 1 MB (`/platforms.json` from about 500 "
        "platforms), which it keeps and sends gzipped.",
        "",
    ]
    extras = {k: v for r in results for k, v in r.items() if k in ("static", "first_load", "load")}
    if "static" in extras:
        out += [
            "## Static files",
            "",
            "Served by whitenoise from `collectstatic` output (compressed manifest storage).",
            "",
            "| File | identity | gzip | br | Cache-Control |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in extras["static"]:
            out.append(
                f"| `{row['path']}` | {kb(row['identity'])} | {kb(row['gzip'])} "
                f"({row['gzip_served_as']}) | {kb(row['br'])} ({row['br_served_as']}) "
                f"| `{row['cache_control']}` |"
            )
        out.append("")
    if "load" in extras:
        load = extras["load"]
        out += [
            "## Load",
            "",
            f"{args.load_connections} connections for {args.load_seconds} s on the list page "
            f"at {args.load_size:,} platforms: {load['requests']:,} requests, "
            f"{load['rps']:.0f} req/s, p50 {ms(load['p50_ms'])} ms, p99 {ms(load['p99_ms'])} ms, "
            f"max {ms(load['max_ms'])} ms; **{load['non2xx']} non-2xx, "
            f"{load['socket_errors']} socket errors** (connect {load['connect']}, read "
            f"{load['read']}, write {load['write']}, timeout {load['timeout']}).",
            "",
            f"Peak resident memory of the {load['workers']} gunicorn worker processes (sampled "
            f"every 100 ms from /proc; gunicorn.conf.py replaces a worker after about "
            f"{info['max_requests']:,} requests, so there can be more processes than workers "
            f"at a time): "
            f"{', '.join(f'{m} MiB' for m in load['worker_peak_mib'])}; "
            f"all workers together at most {load['workers_peak_total_mib']} MiB.",
            "",
        ]
    out += ["## Budget", "", budget(results, extras), ""]
    if args.notes.exists():
        out += [args.notes.read_text().strip(), ""]
    return "\n".join(out)


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
        proxy_headers = django_side(env, "settings")["proxy_headers"]
        for index, size in enumerate(sizes):
            extras = set()
            if index == 0:
                extras |= {"static", "browser"}
            if size == args.load_size:
                extras.add("load")
            results.append(bench_size(size, args, env, workdir, proxy_headers, extras))
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
