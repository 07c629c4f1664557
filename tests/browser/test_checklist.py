"""The session-safety checklist, the encryption diagrams and the exports, in Chromium."""

import csv
import re

import pytest
from playwright.sync_api import expect

from platforms.models import EncryptionPath, Platform

from .helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser


def pdf_pages(pdf):
    """Pages in a PDF Chromium printed: one /Type /Page object each (not /Pages)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def read_download(download):
    with open(download.path(), encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_reach_the_checklist_from_the_platform_page_and_it_passes_axe(page, site):
    page.goto(f"{site}/platforms/zoom/")
    page.get_by_role("link", name="Session-safety checklist for Zoom").click()
    expect(page).to_have_url(f"{site}/platforms/zoom/checklist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Session-safety checklist: Zoom")
    for name in ["Switch on before the first session", "Check", "Habits for every platform"]:
        expect(page.get_by_role("heading", level=2, name=re.compile(f"^{name}"))).to_be_visible()
    # Every item can be traced to a numbered source in the list at the bottom.
    first_ref = page.locator(".checklist-item .ref a").first
    target = first_ref.get_attribute("href")
    first_ref.click()
    expect(page.locator(target)).to_be_in_viewport()
    assert_no_axe_violations(page)


def test_each_compare_column_links_its_checklist(page, site):
    page.goto(f"{site}/compare/?p=zoom&p=doxy-me")
    links = page.locator(".compare-table thead .checklist-link")
    expect(links).to_have_count(2)
    page.get_by_role("link", name="Safety checklist for Doxy.me").click()
    expect(page).to_have_url(f"{site}/platforms/doxy-me/checklist/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Session-safety checklist: Doxy.me")
    # Doxy.me's BAA is contested and plan-bound: to check, not a plain yes. Its two-factor
    # login was searched for and not found: unknown, never listed as missing.
    check = page.locator("section.checklist-check")
    expect(check.get_by_role("heading", level=3, name="BAA offered")).to_be_visible()
    expect(check.locator(".checklist-item", has_text="BAA offered")).to_contain_text("Contested")
    unknown = page.locator("section.checklist-unknown")
    expect(
        unknown.get_by_role("heading", level=3, name="Two-factor login for providers")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=re.compile("^Missing"))).to_have_count(0)


def test_every_checklist_prints_on_one_or_two_pages_of_letter_or_a4(page, site):
    slugs = list(Platform.objects.published().values_list("slug", flat=True))
    assert slugs
    page.emulate_media(media="print")
    for slug in slugs:
        page.goto(f"{site}/platforms/{slug}/checklist/")
        items = page.locator(".checklist-item").count()
        assert items > 0
        # The printer's paper decides the page size (no @page size): US Letter or A4.
        for paper in ("Letter", "A4"):
            assert 1 <= pdf_pages(page.pdf(format=paper)) <= 2, (slug, paper)
        # What prints: every item with its box, no navigation, the short reason only.
        expect(page.locator(".site-header nav")).to_be_hidden()
        expect(page.locator(".checklist-item:visible")).to_have_count(items)
        expect(page.locator(".footnotes")).to_be_visible()
        rest = page.locator(".why-rest").first
        if rest.count():
            expect(rest).to_be_hidden()


def test_zoom_diagrams_decrypt_at_connector_and_gateway(page, site):
    page.goto(f"{site}/platforms/zoom/")
    for connection, hop in [("room", "Room connector"), ("dial_in", "Phone gateway")]:
        figure = page.locator(f"#diagram-{connection}")
        decrypting = figure.locator(".enc-node.enc-decrypts")
        expect(decrypting).to_have_count(1)
        expect(decrypting).to_contain_text(hop)
        expect(decrypting).to_contain_text("Decrypted here")
        # The same, in words, for screen readers.
        expect(figure.locator("p.visually-hidden")).to_contain_text("Decrypted at:")
    contested = EncryptionPath.objects.filter(platform__slug="zoom", contested=True)
    assert contested.exists()
    for path in contested:
        expect(page.locator(f"#diagram-{path.connection}")).to_contain_text("Contested")
    # The end-to-end mode sits beside the default mode.
    default = page.locator(".enc-mode", has=page.get_by_role("heading", name="Default mode"))
    e2ee = page.locator(".enc-mode", has=page.get_by_role("heading", name="End-to-end mode"))
    default_box, e2ee_box = default.bounding_box(), e2ee.bounding_box()
    assert e2ee_box["x"] > default_box["x"] and abs(e2ee_box["y"] - default_box["y"]) < 5
    assert_no_axe_violations(page)


def test_compare_page_shows_compact_diagrams_and_downloads_what_is_on_screen(page, site):
    page.goto(f"{site}/compare/?p=zoom&p=webex")
    page.get_by_label("Show only rows where the platforms differ").check()
    expect(page).to_have_url(re.compile(r"diff=1"))
    expect(page.locator(".enc-compact")).to_have_count(2)
    shown = page.locator(".compare-table tbody tr:not(.group-row) th a").all_inner_texts()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "compare-zoom-webex-differences.csv"
    rows = read_download(download)
    assert [r["criterion"] for r in rows] == shown
    assert_no_axe_violations(page)


def test_list_page_offers_its_filter_as_a_download(page, site):
    page.goto(f"{site}/?need=baa")
    names = page.locator("#results .card-title").all_inner_texts()
    with page.expect_download() as info:
        page.locator("#results .exports").get_by_role("link", name="CSV").first.click()
    download = info.value
    assert download.suggested_filename == "platforms-filtered.csv"
    rows = read_download(download)
    assert list(dict.fromkeys(r["platform"] for r in rows)) == names
