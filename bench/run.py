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
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
NEEDS = "need=baa&need=waiting-room&need=browser-join"
# What every browser and HTTP library sends; the app compresses only /platforms.json over
# 1 MB (config/caching.py), the rest is left to a proxy.
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

# Slow clients (issue 15): this many connections send their headers a byte every half second
# while normal requests are timed, for SLOW_SECONDS (inside nginx's client_header_timeout,
# 10 s, so that they stay open throughout); a normal request counts when it answers 200
# within SLOW_OK_SECONDS.
SLOW_CLIENTS = 50
SLOW_SECONDS = 7
SLOW_OK_SECONDS = 1.0
SLOW_PATH = "/?need=baa"
MIN_SLOW_AVAILABILITY = 0.99

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


def slow_header_client(url, stop, still_open):
    """Sends a request's headers one byte every half second until told to stop; counts
    itself in still_open if its connection was still open then. (tests/stack uses it too.)"""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slow\r\nX-Pad: " + "a" * 1000
    try:
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            for char in request:
                if stop.is_set():
                    sock.setblocking(False)
                    try:
                        sock.recv(1)  # b"" (or a 408) when the server gave up on it
                    except BlockingIOError:
                        still_open.append(1)
                    return
                sock.sendall(char.encode())
                stop.wait(0.5)
    except OSError:
        return  # closed by the server (nginx's client_header_timeout)


def timed_requests(url, seconds, threads=4, timeout=5, headers=None):
    """(status or the error's repr, seconds) of each request made in a loop by each thread.
    (tests/stack uses it too.)"""
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            started = time.monotonic()
            request = urllib.request.Request(url, headers=headers or {})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except Exception as error:  # noqa: BLE001 - a cut response is an outcome too
                status = repr(error)
            with lock:
                results.append((status, time.monotonic() - started))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def with_slow_clients(base, headers, count=SLOW_CLIENTS, seconds=SLOW_SECONDS):
    """Normal requests to SLOW_PATH while `count` slow-header connections are open."""
    stop, still_open = threading.Event(), []
    slow = [
        threading.Thread(target=slow_header_client, args=(base, stop, still_open), daemon=True)
        for _ in range(count)
    ]
    for thread in slow:
        thread.start()
    time.sleep(1)  # all of them connected and trickling
    try:
        results = timed_requests(base + SLOW_PATH, seconds, headers=headers)
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)
    ok = [r for r in results if r[0] == 200 and r[1] <= SLOW_OK_SECONDS]
    times = sorted(r[1] for r in results)
    return {
        "slow_clients": count,
        "still_open": len(still_open),
        "requests": len(results),
        "ok": len(ok),
        "availability": len(ok) / len(results) if results else 0.0,
        "errors": len([r for r in results if r[0] != 200]),
        "p50_ms": times[len(times) // 2] * 1000 if times else 0.0,
        "max_ms": times[-1] * 1000 if times else 0.0,
        "seconds": seconds,
    }


class Nginx:
    """nginx with deploy/nginx-site.conf in front of one app server, in `workdir`: the
    stack's proxy (deploy/stack.sh) without its PostgreSQL and Redis."""

    def __init__(self, app_port, static_root, workdir):
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = Path(workdir) / f"nginx-{self.port}"
        (self.dir / "tmp").mkdir(parents=True)
        site = (ROOT / "deploy" / "nginx-site.conf").read_text()
        for name, value in {
            "@LISTEN@": f"127.0.0.1:{self.port}",
            "@SERVER_NAME@": "127.0.0.1",
            "@APP1@": f"127.0.0.1:{app_port}",
            "@APP2@": f"127.0.0.1:{app_port}",
            "@STATIC_ROOT@": static_root,
        }.items():
            site = site.replace(name, value)
        # It listens on plain HTTP here; on a server it terminates TLS, where $scheme is https.
        site = site.replace("X-Forwarded-Proto $scheme;", "X-Forwarded-Proto https;")
        (self.dir / "site.conf").write_text(site)
        temp = self.dir / "tmp"
        (self.dir / "nginx.conf").write_text(
            f"""worker_processes 2;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
daemon on;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.dir}/site.conf;
}}
"""
        )
        subprocess.run(
            [self.binary, "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
            check=True,
            capture_output=True,
        )

    def stop(self):
        pid = self.dir / "nginx.pid"
        if pid.exists():
            os.kill(int(pid.read_text()), signal.SIGQUIT)


def slow_client_figures(server, proxy_headers, static_root, workdir):
    """Availability of normal requests with slow-header clients open: against gunicorn
    alone, then through nginx (deploy/nginx-site.conf) when nginx is installed."""
    headers = {**CLIENT_HEADERS, **proxy_headers}
    figures = {"gunicorn": with_slow_clients(server.base, headers)}
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        figures["nginx"] = None
        return figures
    nginx = Nginx(server.port, static_root, workdir)
    try:
        for _ in range(50):
            try:
                if fetch(nginx.base + "/healthz", {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        figures["nginx"] = with_slow_clients(nginx.base, CLIENT_HEADERS)
    finally:
        nginx.stop()
    return figures


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


def bench_size(size, args, env, workdir, proxy_headers, extras, extras_info):
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
        if "slow" in extras:
            log(
                f"   slow clients: {SLOW_CLIENTS} slow-header connections, normal requests "
                f"for {SLOW_SECONDS} s, gunicorn alone and through nginx"
            )
            results["slow"] = slow_client_figures(
                server, proxy_headers, extras_info["static_root"], workdir
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
    slow = result.get("slow")
    if slow:
        for name, label in (
            ("gunicorn", "gunicorn alone"),
            ("nginx", "through nginx (deploy/nginx-site.conf)"),
        ):
            run = slow.get(name)
            if run is None:
                lines.append(f"Slow clients, {label}: not measured (nginx is not installed).")
                continue
            lines.append(
                f"With {run['slow_clients']} slow-header connections open "
                f"({run['still_open']} still open at the end), {label}: {run['ok']} of "
                f"{run['requests']} normal requests to `{SLOW_PATH}` answered 200 within "
                f"{SLOW_OK_SECONDS:.0f} s ({run['availability']:.1%}); p50 "
                f"{ms(run['p50_ms'])} ms, max {ms(run['max_ms'])} ms, {run['errors']} errors or "
                "timeouts (5 s)."
            )
    return "\n".join(lines)


# Issue 15's budget for cache misses: (page key, catalogue size, most ms, median uncached).
MISS_BUDGET = [
    ("list", 50, 15),
    ("compare", 50, 15),
    ("platform", 50, 15),
    ("list", 5000, 40),
    ("json", 5000, 1500),
]
MIN_STORM_RPS = 150


def budget_issue15(results):
    """Issue 15's lines: uncached pages, the dataset's build, the miss storm, slow clients."""
    checks = []

    def check(ok, text):
        checks.append(f"- **{'met' if ok else 'NOT met'}**: {text}")

    by_size = {r["size"]: r for r in results}
    for key, size, most in MISS_BUDGET:
        label = next(label for k, label, _, _ in URLS if k == key)
        if size not in by_size:
            checks.append(f"- **not measured here**: {label} uncached at {size:,} platforms.")
            continue
        miss = by_size[size]["urls"][key]["miss_ms"]
        check(
            miss <= most,
            f"{label} uncached (median of in-process cache misses) {miss:,.1f} ms at "
            f"{size:,} platforms (budget ≤ {most:,} ms).",
        )
    storm = next((r["storm"] for r in results if "storm" in r), None)
    size = next((r["size"] for r in results if "storm" in r), None)
    if storm:
        check(
            storm["rps"] >= MIN_STORM_RPS and not storm["non2xx"] and not storm["socket_errors"],
            f"miss storm at {size:,} platforms, 64 connections over distinct valid filters: "
            f"{storm['rps']:.0f} req/s, {storm['non2xx']} non-2xx, {storm['socket_errors']} "
            f"socket errors (budget ≥ {MIN_STORM_RPS} req/s, no errors).",
        )
    slow = next((r["slow"] for r in results if "slow" in r), None)
    if slow:
        for name, label in (("nginx", "through nginx"), ("gunicorn", "gunicorn alone")):
            run = slow.get(name)
            if run is None:
                checks.append(f"- **not measured here**: slow clients {label} (no nginx).")
                continue
            text = (
                f"with {run['slow_clients']} slow-header connections open, {label}: "
                f"{run['availability']:.1%} of normal requests answered within "
                f"{SLOW_OK_SECONDS:.0f} s"
            )
            if name == "gunicorn":  # what the proxy is for, not a line of the budget
                checks.append(f"- for contrast, {text}.")
            else:
                check(
                    run["availability"] >= MIN_SLOW_AVAILABILITY,
                    f"{text} (budget ≥ {MIN_SLOW_AVAILABILITY:.0%}).",
                )
    return "\n".join(checks)


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
    out += [
        "## Budget",
        "",
        budget(results, extras),
        "",
        "Issue 15:",
        "",
        budget_issue15(results),
        "",
    ]
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
