"""Measurements against a running server: wrk's figures, slow clients, workers' memory,
static files' weights.
"""

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.servers import BENCH, Nginx, fetch
from bench.targets import CLIENT_HEADERS, SLOW_CLIENTS, SLOW_OK_SECONDS, SLOW_PATH, SLOW_SECONDS


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
