"""Issue 17 in the admin at 1280 px: the review panel's headers keep whole words, and the
platform form (plans and grouped facts) stays within the page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from platforms.models import Platform

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase 42"


@pytest.fixture
def admin_page(browser, site):
    get_user_model().objects.create_superuser("alice", "alice@example.org", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{site}/admin/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#review-panel")).to_be_visible()
    yield page
    context.close()


def test_review_panel_headers_wrap_between_words(admin_page):
    widths = admin_page.locator("#review-panel thead th").evaluate_all(
        "ths => ths.map(th => th.getBoundingClientRect().width)"
    )
    assert min(widths) >= 60, widths  # one letter per line would be ~15 px


def test_the_platform_form_fits_1280_px_and_its_fact_groups_open(admin_page, site):
    zoom = Platform.objects.get(slug="zoom")
    admin_page.goto(f"{site}/admin/platforms/platform/{zoom.pk}/change/")
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= 1280
    group = admin_page.locator("details.fact-group").first
    expect(group.locator(".inline-related").first).to_be_hidden()
    group.locator("summary").click()
    expect(group.locator(".inline-related").first).to_be_visible()
    assert admin_page.evaluate("document.documentElement.scrollWidth") <= 1280
