"""Suggesting a correction in Chromium, with JavaScript and without: the form, its errors,
the thank-you page, and the count on the platform page."""

import re

import pytest
from playwright.sync_api import expect

from corrections.models import Correction

from .helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser

SOURCE = "https://vendor.example/baa"
QUOTE = "A sentence standing in for the cited page's words, in the test database."


def suggest_for_zoom_baa(page, site):
    page.goto(f"{site}/platforms/zoom/")
    page.get_by_role("link", name="Suggest a correction to BAA offered on Zoom").click()
    expect(page).to_have_url(re.compile(r"/platforms/zoom/facts/baa/correction/$"))
    expect(page.get_by_role("heading", name="Suggest a correction")).to_be_visible()


def fill(page, writer="A therapist"):
    page.get_by_label("What is wrong").fill("The BAA page now covers the free plan too.")
    page.get_by_label("What it should say").select_option(label="Partly")
    page.get_by_label("Address of a page that says so").fill(SOURCE)
    page.get_by_label("The sentence on that page, copied word for word").fill(QUOTE)
    page.get_by_role("radio", name=writer).check()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_suggest_a_correction(browser, site, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        suggest_for_zoom_baa(page, site)
        if javascript:  # axe runs in the page's JavaScript
            assert_no_axe_violations(page)

        # The vendor without saying who they are: the form says what is missing, keeps the rest.
        fill(page, writer="The vendor (I work for it or speak for it)")
        page.get_by_role("button", name="Send the correction").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Say who you are at the vendor")
        expect(page.get_by_label("Address of a page that says so")).to_have_value(SOURCE)
        if javascript:
            assert_no_axe_violations(page)
        alert.get_by_role("link", name=re.compile("If you are the vendor")).click()
        expect(page.get_by_label(re.compile("^If you are the vendor"))).to_be_focused()

        page.get_by_label(re.compile("^If you are the vendor")).fill("Compliance lead, Zoom")
        page.get_by_label(re.compile("^Your e-mail")).fill("reader@example.org")
        page.get_by_role("button", name="Send the correction").click()
        expect(
            page.get_by_role("heading", name=re.compile("your correction is with the editors"))
        ).to_be_visible()
        if javascript:
            assert_no_axe_violations(page)
        correction = Correction.objects.get()
        assert correction.writer == "vendor" and correction.disclosure == "Compliance lead, Zoom"
        assert correction.proposed_state == "partial" and correction.source_url == SOURCE

        page.get_by_role("link", name="Back to BAA offered on Zoom").click()
        expect(page.locator("#fact-baa")).to_contain_text("1 correction open")
    finally:
        context.close()


def test_the_form_page_is_axe_clean_with_errors_shown(page, site):
    page.goto(f"{site}/platforms/zoom/facts/baa/correction/")
    page.get_by_role("button", name="Send the correction").click()
    expect(page.get_by_role("alert")).to_contain_text("What is wrong")
    assert_no_axe_violations(page)
