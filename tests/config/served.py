"""The site as production runs it: gunicorn (gunicorn.conf.py) with the production settings,
on random loopback ports, serving TLS itself with a throwaway certificate authority.

`served_site()` migrates and seeds a fresh SQLite file, collects the static files (with
their compressed copies), then starts two gunicorns: one on HTTPS (--certfile/--keyfile)
and one on plain HTTP that redirects to it, as a site behind no proxy would be reached.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.config.site import REPO

HOST = "localhost"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificates(folder):
    """A throwaway CA and a certificate it signed for localhost; returns (ca, cert, key)."""
    folder = Path(folder)
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "k.pem", "c.csr", "c.pem")
    )
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    commands = [
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            ca_key,
            "-out",
            ca,
            "-days",
            "2",
            "-subj",
            "/CN=Teletherapy Compare test CA",
        ],
        [
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            csr,
            "-subj",
            "/CN=localhost",
        ],
        [
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            "2",
            "-extfile",
            ext,
        ],
    ]
    for command in commands:
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)  # noqa: S603, S607
    return ca, cert, key


def site_env(folder, **extra):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "served-test-key-5e4d3c2b1a09f8e7d6c5b4a39281706f-not-used-elsewhere",
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
        "STATIC_ROOT": f"{folder}/static",
        "WEB_CONCURRENCY": "1",
        **extra,
    }


def manage(env, *args):
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@dataclass
class Gunicorn:
    port: int
    process: subprocess.Popen
    log: Path

    def url(self, path="/", scheme="http"):
        return f"{scheme}://{HOST}:{self.port}{path}"


def start_gunicorn(env, port, *args, log):
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return Gunicorn(port, process, log)
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


@dataclass
class ServedSite:
    folder: Path
    ca: Path
    https: Gunicorn
    http: Gunicorn

    def gunicorn(self, **env):
        """Another plain-HTTP gunicorn on the same data, with these environment variables."""
        port = free_port()
        log = self.folder / f"gunicorn-{port}.log"
        return start_gunicorn(site_env(self.folder, **env), port, log=log)


@contextlib.contextmanager
def served_site():
    with tempfile.TemporaryDirectory(prefix="teletherapy-served-") as tmp:
        folder = Path(tmp)
        ca, cert, key = make_certificates(folder)
        env = site_env(folder)
        manage(env, "migrate", "--no-input", "--verbosity", "0")
        manage(env, "seed", "--verbosity", "0")
        manage(env, "collectstatic", "--no-input", "--verbosity", "0")
        https_port, http_port = free_port(), free_port()
        servers = []
        try:
            tls = ["--certfile", str(cert), "--keyfile", str(key)]
            servers.append(start_gunicorn(env, https_port, *tls, log=folder / "https.log"))
            # Plain HTTP redirects to the HTTPS port (SECURE_SSL_HOST), as :80 would to :443.
            plain = site_env(folder, SECURE_SSL_HOST=f"{HOST}:{https_port}")
            servers.append(start_gunicorn(plain, http_port, log=folder / "http.log"))
            yield ServedSite(folder, ca, *servers)
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait(timeout=30)


def fetch(url, headers=None):
    """(status, headers) of a GET that does not follow redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
