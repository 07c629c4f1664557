"""The site as gunicorn serves it in production, over real sockets (tests/config/served.py).

- Mozilla's HTTP Observatory (tests/observatory/, the npm package @mdn/mdn-http-observatory)
  scores every public page and the admin login A+ (issue 16, "Also").
- gunicorn trusts no forwarded header unless SECURE_PROXY_SSL_HEADER names one, and then only
  that one (issue 16, item 6: failed on the previous gunicorn.conf.py, where X-Forwarded-Ssl
  or X-Forwarded-Proto from 127.0.0.1 turned the HTTPS redirect off).
"""

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.config.served import HOST, fetch, free_port, served_site
from tests.config.site import REPO, prod_settings, public_urls

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

OBSERVATORY = REPO / "tests" / "observatory"
SCANNER = OBSERVATORY / "node_modules" / "@mdn" / "mdn-http-observatory"
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Protocol": "ssl",
    "X-Forwarded-Ssl": "on",
    "Forwarded": "proto=https",
}


@pytest.fixture(scope="module")
def site():
    with served_site() as served:
        yield served


def observatory(site_ca, https_port, http_port, paths):
    node = shutil.which("node")
    assert node, "Node.js is needed for the HTTP Observatory: apt-get install nodejs"
    assert (SCANNER / "conf" / "hsts-preload.json").exists(), (
        "The HTTP Observatory is not installed: `make observatory` (make test does it)."
    )
    result = subprocess.run(  # noqa: S603
        [node, "scan.mjs", HOST, str(https_port), str(http_port), *paths],
        cwd=OBSERVATORY,
        env={"PATH": os.environ.get("PATH", ""), "NODE_EXTRA_CA_CERTS": str(site_ca)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def report(results):
    return "\n".join(
        f"{r['path']}: {r['score']} ({r['grade']}) "
        + ", ".join(f"{f['result']} {f['modifier']}" for f in r["failures"])
        for r in results
    )


def test_mozillas_observatory_grades_every_public_page_and_the_admin_login_a_plus(
    site, client, seeded
):
    # /healthz answers load balancers over plain HTTP on purpose (SECURE_REDIRECT_EXEMPT),
    # which the Observatory marks down as a missing redirect: every other page is scored.
    exempt = [re.compile(rule) for rule in prod_settings()["SECURE_REDIRECT_EXEMPT"]]
    paths = [
        url
        for url in public_urls(client)
        if client.get(url, secure=True).status_code < 400
        and not any(rule.match(url.lstrip("/")) for rule in exempt)
    ]
    paths.append("/admin/login/")
    assert len(paths) > 10
    results = observatory(site.ca, site.https.port, site.http.port, paths)
    assert [r["path"] for r in results] == paths
    below = [r for r in results if r["grade"] != "A+" or r["score"] < 100]
    assert below == [], report(below)


def test_the_observatory_fails_a_site_without_the_headers(site, tmp_path):
    # Python's plain file server: no HTTPS, no CSP, no HSTS. The same scanner and threshold
    # must fail it, or the A+ above proves nothing.
    (tmp_path / "index.html").write_text("<!doctype html><title>bare</title>")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        fetch_until_up(f"http://127.0.0.1:{port}/")
        [result] = observatory(site.ca, free_port(), port, ["/"])
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result["grade"] not in {"A+", "A"} and result["score"] < 90, result
    failed = {f["result"] for f in result["failures"]}
    assert {"csp-not-implemented", "redirection-missing"} <= failed, result


def fetch_until_up(url):
    for _ in range(50):
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.mark.parametrize("header", FORWARDED)
def test_no_forwarded_header_turns_the_https_redirect_off(site, header):
    status, headers = fetch(site.http.url("/criteria/"), {header: FORWARDED[header]})
    assert status == 301, (header, status)
    assert headers["Location"].startswith("https://"), headers["Location"]


def test_with_a_proxy_configured_only_its_header_is_trusted(site):
    server = site.gunicorn(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    try:
        status, _ = fetch(server.url("/criteria/"), {"X-Forwarded-Proto": "https"})
        assert status == 200
        for header in ("X-Forwarded-Ssl", "X-Forwarded-Protocol"):
            status, _ = fetch(server.url("/criteria/"), {header: FORWARDED[header]})
            assert status == 301, header
        assert fetch(server.url("/criteria/"))[0] == 301
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


@pytest.mark.parametrize("accept,coded", [("gzip", "gzip"), ("gzip;q=0", None)])
def test_static_files_honour_a_refused_coding_through_gunicorn(site, accept, coded):
    # collectstatic wrote compressed copies here, as in production (item 7).
    status, headers = fetch_tls(site, "/static/css/site.css", {"Accept-Encoding": accept})
    assert status == 200
    assert headers.get("Content-Encoding") == coded, accept


def fetch_tls(site, path, headers):
    context = ssl.create_default_context(cafile=str(site.ca))
    request = urllib.request.Request(site.https.url(path, scheme="https"), headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, context=context, timeout=30) as response:  # noqa: S310
        return response.status, response.headers
