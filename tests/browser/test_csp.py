"""Chromium loads every page under the strict Content-Security-Policy without a violation.

The policy forbids inline scripts and styles and eval; a template or library that needs one
breaks silently in the browser (a style not applied, a script not run), so this test listens
for the browser's own reports: `securitypolicyviolation` events and console errors.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from platforms.models import Platform
from tests.config.site import public_urls

pytestmark = pytest.mark.browser

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}` +
      ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP report the browser makes collected in `page.csp_reports`."""
    reports = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            reports.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.csp_reports = reports
    return page


def violations(page):
    return page.csp_reports + page.evaluate("window.__cspViolations || []")


def html_pages(site):
    client = Client()
    pages = []
    for url in public_urls(client):
        response = client.get(url, secure=True)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            pages.append(url)
    return pages


def test_every_public_page_loads_without_a_csp_violation(site, watched):
    pages = html_pages(site)
    assert "/" in pages and "/criteria/" in pages
    for url in pages:
        # goto waits for the load event: every stylesheet, script and image of these pages
        # has loaded (or been blocked) by then, and none of them fetches more on load.
        response = watched.goto(site + url)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert violations(watched) == [], url
        # The site's own stylesheet and htmx did load under the policy.
        assert watched.evaluate("document.styleSheets.length") >= 1, url
        assert watched.evaluate("typeof htmx") == "object", url


def test_htmx_swaps_and_the_comparison_raise_no_violation(site, watched):
    watched.goto(site + "/")
    checkbox = watched.get_by_role("checkbox").first
    with watched.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        checkbox.check()
    watched.wait_for_load_state("networkidle")
    slugs = list(Platform.objects.published().values_list("slug", flat=True)[:2])
    watched.goto(f"{site}/compare/?p={slugs[0]}&p={slugs[1]}")
    watched.wait_for_load_state("networkidle")
    assert violations(watched) == []


def test_the_admin_works_under_the_same_policy(site, watched):
    get_user_model().objects.create_superuser(
        "csp-admin", "csp@example.org", "a long test-only passphrase 42"
    )
    watched.goto(site + "/admin/login/")
    watched.get_by_label("Username").fill("csp-admin")
    watched.get_by_label("Password").fill("a long test-only passphrase 42")
    watched.get_by_role("button", name="Log in").click()
    expect(watched.get_by_role("heading", name="Site administration")).to_be_visible()
    platform = Platform.objects.first()
    urls = [
        reverse("admin:index"),
        reverse("admin:platforms_platform_changelist"),
        reverse("admin:platforms_platform_change", args=[platform.pk]),
        reverse("admin:platforms_platform_add"),
        reverse("admin:platforms_fact_changelist"),
        reverse("admin:platforms_source_add"),  # date fields: the calendar widget's script
        reverse("admin:platforms_incident_add"),
    ]
    for url in urls:
        watched.goto(site + url)
        watched.wait_for_load_state("networkidle")
        assert violations(watched) == [], url
        # The admin's stylesheets and scripts ran: the page is styled and the sidebar works.
        assert watched.evaluate("document.styleSheets.length") >= 2, url
    # The calendar shortcut is drawn by the admin's JavaScript.
    watched.goto(site + reverse("admin:platforms_source_add"))
    expect(watched.locator(".datetimeshortcuts").first).to_be_visible()
    assert violations(watched) == []
