"""The servers the benchmark starts: gunicorn with the production settings, nginx in front
of it, and the Django commands (manage.py, bench/django_side.py) that prepare their data.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")


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
