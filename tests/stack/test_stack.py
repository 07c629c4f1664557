"""`make stack` end to end: nginx in front of two gunicorn app servers on PostgreSQL and Redis.

Starts deploy/stack.sh on a free port (nginx, redis-server and PostgreSQL must be installed:
.ci/run installs them) and shows, against the real processes:
- an edit saved through one app server is what the other serves at once;
- with 50 connections sending their headers slowly, >= 99% of normal requests answer in 1 s;
- killing one app server loses no request that nginx can retry;
- with the database stopped, cached pages are served stale (said in a header), others 503.
"""

import html.parser
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

from bench.measure import slow_header_client, timed_requests

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


class FormFields(html.parser.HTMLParser):
    """The fields a browser would submit from the first form with a given id: inputs
    (checkboxes and radios only when checked), textareas and selected options."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self.textarea = self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self.fields.append([a["name"], a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], ""]
            self.fields.append(self.textarea)
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append([self.select, a.get("value", "")])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None


def form_fields(html_text, form_id):
    parser = FormFields(form_id)
    parser.feed(html_text)
    return [tuple(field) for field in parser.fields]


def test_an_edit_through_one_app_server_is_served_by_the_other_at_once(stack):
    app1, app2 = f"http://{stack['APP1']}", f"http://{stack['APP2']}"
    # Both servers (and nginx) hold the page and the dataset, with the same ETag.
    for base in (app1, app2, stack["URL"]):
        assert get(base + "/platforms/doxy-me/")[0] == 200
    etags = {get(base + "/platforms.json")[1]["ETag"] for base in (app1, app2)}
    assert len(etags) == 1, etags
    admin = Admin(app1)
    admin.login()
    _, html_text = admin.open("/admin/platforms/platform/?q=doxy")
    pk = re.search(r"/admin/platforms/platform/(\d+)/change/", html_text)[1]
    change = f"/admin/platforms/platform/{pk}/change/"
    _, html_text = admin.open(change)
    marker = f"Edited through one app server {secrets.token_hex(4)}."
    fields = [
        (name, value + " " + marker if name == "summary" else value)
        for name, value in form_fields(html_text, "platform_form")
    ]
    assert "summary" in dict(fields), fields[:20]
    status, body = admin.open(change, [*fields, ("_save", "Save")])
    assert status == 302, re.findall(r'class="errorlist[^"]*">(.*?)</ul>', body)[:5]
    for base in (app2, stack["URL"]):
        status, _, body = get(base + "/platforms/doxy-me/")
        assert status == 200 and marker.encode() in body, base
    after = {get(base + "/platforms.json")[1]["ETag"] for base in (app1, app2)}
    assert len(after) == 1 and after != etags
    assert marker.encode() in get(app2 + "/platforms.json")[2]


def test_slow_header_clients_do_not_hold_the_app_servers(stack):
    stop, still_open = threading.Event(), []
    slow = [
        threading.Thread(
            target=slow_header_client, args=(stack["URL"], stop, still_open), daemon=True
        )
        for _ in range(50)
    ]
    for thread in slow:
        thread.start()
    time.sleep(1)
    try:
        # Within nginx's client_header_timeout (10 s): all 50 are open the whole time.
        results = timed_requests(stack["URL"] + "/?need=baa", seconds=7)
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)
    assert len(still_open) == 50
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
    # A response the killed server had begun to send (headers out, body cut) is the one
    # loss nginx cannot retry: at most one per worker that was busy. Anything else (a 502,
    # a refused or reset connection before the response) nginx should have retried.
    cut = [r for r in results if "IncompleteRead" in str(r[0])]
    failed = [r for r in results if r[0] != 200 and r not in cut]
    assert len(results) > 50
    assert not failed, failed[:5]
    assert len(cut) <= int(stack["WORKERS"]), cut
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
