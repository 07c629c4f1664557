"""Response headers with the production settings: security headers, cookies, caching.

Mozilla's HTTP Observatory itself grades every public page and the admin login A+ over TLS
(tests/config/test_served_site.py); here, in-process, the headers it looks at are checked one
by one; anonymous pages must be cacheable by a CDN and set no cookie; the admin must never be
cached.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.cache import get_max_age

from config.middleware import HeadWithoutBodyMiddleware
from tests.config.site import REPO, apply_prod_settings, comparison_query, public_urls

pytestmark = pytest.mark.django_db

HTML_PAGES = ["/", "/criteria/", "/compare/?{compare}"]


@pytest.fixture
def prod(settings, seeded):
    apply_prod_settings(settings)
    return settings


@pytest.fixture
def staff_client(client, prod):
    user = get_user_model().objects.create_superuser(
        "observatory-admin", "admin@example.org", "a long test-only passphrase 42"
    )
    client.force_login(user)
    return client


def urls_to_scan(client):
    return public_urls(client)


def test_the_admin_login_cookie_is_host_locked_secure_httponly_and_samesite(client, prod):
    response = client.get("/admin/login/", secure=True)
    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] in {"Strict", "Lax"}
    assert cookie["path"] == "/" and not cookie["domain"]


def test_htmx_fragments_carry_the_same_security_headers(client, prod):
    page = client.get("/", secure=True)
    fragment = client.get("/", secure=True, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    for header in [
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
        "Cross-Origin-Resource-Policy",
    ]:
        assert fragment.headers[header] == page.headers[header], header


def test_plain_http_redirects_to_https_on_the_same_host(client, prod):
    response = client.get("/criteria/?x=1", secure=False)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/criteria/?x=1"


def test_security_headers_on_every_public_page(client, prod):
    for url in urls_to_scan(client):
        response = client.get(url, secure=True)
        csp = response.headers["Content-Security-Policy"]
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]:
            assert directive in csp, (url, directive)
        assert "unsafe" not in csp, url
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_admin_sends_the_same_csp(staff_client):
    for url in ["/admin/", "/admin/platforms/platform/", "/admin/login/"]:
        response = staff_client.get(url, secure=True)
        assert response.status_code in {200, 302}, url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url


# The one public page with a POST form, the e-mail alerts' subscribe form, sets the CSRF
# cookie (and is never cached); every other anonymous page sets none.
FORM_PAGES = {"/alerts/"}


def test_anonymous_pages_set_no_cookie(client, prod):
    for url in urls_to_scan(client):
        if url.split("?")[0] in FORM_PAGES:
            response = client.get(url, secure=True)
            assert set(response.cookies) == {settings.CSRF_COOKIE_NAME}, url
            assert "private" in response.headers["Cache-Control"], url
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, secure=True, headers=headers)
            assert not response.cookies, (url, headers, response.cookies)
            assert "Set-Cookie" not in response.headers, url


def test_anonymous_pages_are_cacheable_with_a_validator(client, prod):
    pages = [page.format(compare=comparison_query()) for page in HTML_PAGES]
    for url in [*pages, "/platforms.json"]:
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        cache_control = response.headers["Cache-Control"]
        assert "public" in cache_control, url
        assert get_max_age(response) == 0, url  # revalidated on every visit
        assert "s-maxage=60" in cache_control, url  # a shared cache may keep it briefly
        assert response.headers.get("ETag") or response.headers.get("Last-Modified"), url


def test_every_successful_public_page_says_how_to_cache_it(client, prod):
    for url in urls_to_scan(client):
        response = client.get(url, secure=True)
        if response.status_code == 200:
            assert response.has_header("Cache-Control"), url


def test_a_conditional_get_answers_304_with_the_cache_headers(client, prod):
    for url in [page.format(compare=comparison_query()) for page in HTML_PAGES]:
        first = client.get(url, secure=True)
        again = client.get(url, secure=True, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.content == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        assert "public" in again.headers["Cache-Control"]
        changed = client.get(url, secure=True, headers={"If-None-Match": '"something-else"'})
        assert changed.status_code == 200


def test_htmx_fragments_are_never_stored_and_vary_on_hx_request(client, prod):
    response = client.get("/", secure=True, headers={"HX-Request": "true"})
    assert "no-store" in response.headers["Cache-Control"]
    assert "ETag" not in response.headers
    full = client.get("/", secure=True)
    for each in (response, full):
        assert "HX-Request" in each.headers["Vary"]


ADMIN_URLS = ["/admin/", "/admin/platforms/platform/", "/admin/login/"]


def test_the_admin_is_never_cached(client, staff_client):
    # Its 404s and the views the admin marks cacheable depend on the session (Vary: Cookie).
    for url in [*ADMIN_URLS, "/admin/nowhere/", "/admin/jsi18n/", "/admin/password_change/"]:
        response = staff_client.get(url, secure=True)
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
        assert "public" not in cache_control, url
        assert "ETag" not in response.headers, url


def test_the_admins_views_say_never_cache_themselves(staff_client, settings):
    # Django's admin wraps its views in never_cache; no middleware of the site adds it.
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != "config.middleware.CacheHeadersMiddleware"
    ]
    for url in ADMIN_URLS:
        response = staff_client.get(url, secure=True)
        assert response.status_code in {200, 302}, url
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url


def test_the_admin_login_page_is_never_cached_for_anonymous_visitors(client, prod):
    response = client.get("/admin/login/", secure=True)
    assert "no-store" in response.headers["Cache-Control"]


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client, prod):
    given = client.get("/healthz", secure=True, headers={"X-Request-ID": "edge-7f3a.42"})
    assert given.headers["X-Request-ID"] == "edge-7f3a.42"
    for bad in ["", "has space", "x" * 300, "line\nbreak", "<script>"]:
        response = client.get("/healthz", secure=True, headers={"X-Request-ID": bad})
        generated = response.headers["X-Request-ID"]
        assert generated != bad and len(generated) == 32, bad
        int(generated, 16)


def test_head_answers_with_the_headers_of_get_and_no_body(rf):
    # The test client drops HEAD bodies by itself, so call the middleware directly.
    middleware = HeadWithoutBodyMiddleware(lambda request: HttpResponse("twelve bytes"))
    response = middleware(rf.head("/criteria/"))
    assert response.content == b""
    assert response.headers["Content-Length"] == "12"
    assert middleware(rf.get("/criteria/")).content == b"twelve bytes"


INLINE_CODE = {
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)", re.I),
    "a <style> block": re.compile(r"<style\b", re.I),
    "a style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "an on*= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on": re.compile(r"\b(?:data-)?hx-on", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def project_templates():
    roots = [REPO / "templates", *(REPO / app / "templates" for app in ("platforms", "compare"))]
    return [path for root in roots if root.exists() for path in root.rglob("*.html")]


def test_no_template_needs_what_the_csp_forbids():
    # The CSP blocks these in the browser; finding them here names the template at once.
    templates = project_templates()
    assert len(templates) > 5
    found = [
        f"{path.relative_to(REPO)}: {what}"
        for path in templates
        for what, pattern in INLINE_CODE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []
