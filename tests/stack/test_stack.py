"""`make stack` end to end: nginx in front of two gunicorn app servers on PostgreSQL and Redis.

Starts deploy/stack.sh on a free port (nginx, redis-server and PostgreSQL must be installed:
.ci/run installs them) and shows, against the real processes:
- an edit saved through one app server is what the other serves at once;
- with 50 connections sending their headers slowly, >= 99% of normal requests answer in 1 s;
- killing one app server loses no request that nginx can retry;
- with the database stopped, cached pages are served stale (said in a header), others 503.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "stack-test-admin-passphrase-31"  # noqa: S105 - a throwaway stack's admin


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def stack():
    # Not under pytest's own temp dir (mode 700): PostgreSQL runs as its own user and must
    # reach its data directory. The script removes it when it stops.
    directory = Path(tempfile.gettempdir()) / f"stack-test-{secrets.token_hex(6)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        STACK_PORT=str(free_port()),
        STACK_DIR=str(directory),
        STACK_ADMIN_PASSWORD=PASSWORD,
        LOG_LEVEL="ERROR",
    )
    log = tempfile.NamedTemporaryFile("w", prefix="stack-test-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own script
        ["bash", str(ROOT / "deploy/stack.sh")],  # noqa: S607 - bash from PATH
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    ready = directory / "ready"
    deadline = time.monotonic() + 240
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("deploy/stack.sh did not start:\n" + Path(log.name).read_text()[-3000:])
        time.sleep(0.5)
    info = dict(line.split("=", 1) for line in ready.read_text().splitlines() if "=" in line)
    yield info
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def get(url, headers=None, timeout=10):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Admin:
    """A browser session on one app server's admin (cookies kept by hand: http.cookiejar
    does not send them back to a bare IP address with a port)."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def open(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - http only
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return response.status, response.read().decode()

    def csrf(self, html):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]

    def login(self):
        _, html = self.open("/admin/login/")
        data = {"csrfmiddlewaretoken": self.csrf(html), "username": "admin"}
        status, html = self.open("/admin/login/?next=/admin/", {**data, "password": PASSWORD})
        assert status == 302, html[:500]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_an_edit_through_one_app_server_is_served_by_the_other_at_once(stack):
    app1, app2 = f"http://{stack['APP1']}", f"http://{stack['APP2']}"
    # Both servers (and nginx) hold the page and the dataset, with the same ETag.
    assert get(app2 + "/platforms/doxy-me/")[0] == 200
    etags = {get(base + "/platforms.json")[1]["ETag"] for base in (app1, app2)}
    assert len(etags) == 1, etags
    admin = Admin(app1)
    admin.login()
    _, html = admin.open("/admin/platforms/platform/?q=doxy")
    pk = re.search(r"/admin/platforms/platform/(\d+)/change/", html)[1]
    _, html = admin.open(f"/admin/platforms/platform/{pk}/delete/")
    status, _ = admin.open(
        f"/admin/platforms/platform/{pk}/delete/",
        {"csrfmiddlewaretoken": admin.csrf(html), "post": "yes"},
    )
    assert status == 302
    assert get(app2 + "/platforms/doxy-me/")[0] == 404
    assert get(stack["URL"] + "/platforms/doxy-me/")[0] == 404
    after = {get(base + "/platforms.json")[1]["ETag"] for base in (app1, app2)}
    assert len(after) == 1 and after != etags


def slow_header_client(url, stop):
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slow\r\nX-Pad: "
    try:
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            for char in request + "a" * 1000:
                if stop.is_set():
                    return
                sock.sendall(char.encode())
                stop.wait(0.5)
    except OSError:
        return  # nginx closed it (client_header_timeout): as it should


def timed_requests(url, seconds, threads=4):
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = get(url, timeout=5)[0]
            except OSError as error:
                status = repr(error)
            with lock:
                results.append((status, time.monotonic() - started))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def test_slow_header_clients_do_not_hold_the_app_servers(stack):
    stop = threading.Event()
    slow = [
        threading.Thread(target=slow_header_client, args=(stack["URL"], stop), daemon=True)
        for _ in range(50)
    ]
    for thread in slow:
        thread.start()
    time.sleep(2)
    try:
        results = timed_requests(stack["URL"] + "/?need=baa", seconds=10)
    finally:
        stop.set()
    fast = [r for r in results if r[0] == 200 and r[1] <= 1.0]
    assert len(results) > 50
    assert len(fast) / len(results) >= 0.99, (len(fast), len(results))


def test_killing_one_app_server_loses_no_request(stack):
    results = []
    runner = threading.Thread(
        target=lambda: results.extend(timed_requests(stack["URL"] + "/criteria/", seconds=8))
    )
    runner.start()
    time.sleep(3)
    os.killpg(int(stack["APP2_PID"]), signal.SIGKILL)
    runner.join()
    failed = [r for r in results if r[0] != 200]
    assert len(results) > 50
    assert not failed, failed[:5]
    with pytest.raises(OSError):  # it is gone: nginx sent everything to the other one
        get(f"http://{stack['APP2']}/healthz", timeout=2)


def test_with_the_database_down_cached_pages_are_stale_and_the_rest_503(stack):
    # Last: it stops PostgreSQL. /platforms/zoom/ is in the cache, /platforms/vsee/ not yet.
    assert get(stack["URL"] + "/platforms/zoom/")[0] == 200
    run_as = ["runuser", "-u", stack["PG_USER"], "--"] if os.getuid() == 0 else []
    subprocess.run(  # noqa: S603
        [*run_as, f"{stack['PG_BIN']}/pg_ctl", "-D", stack["PG_DATA"], "-m", "immediate", "stop"],
        check=True,
        capture_output=True,
    )
    status, headers, _ = get(stack["URL"] + "/platforms/zoom/")
    assert status == 200
    assert "database unavailable" in headers["X-Stale-If-Error"]
    status, headers, body = get(stack["URL"] + "/platforms/vsee/")
    assert status == 503
    assert b"temporarily unavailable" in body
    assert get(stack["URL"] + "/healthz?db=1")[0] == 503
    assert get(stack["URL"] + "/healthz")[0] == 200
