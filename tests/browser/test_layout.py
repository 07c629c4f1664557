"""Issue 17 in Chromium: phones without sideways scrolling, the comparison as cards on a
phone and a page-scrolling table on a desktop, ticks kept across live updates, footnotes,
printing on Letter and A4."""

import re

import pytest
from playwright.sync_api import expect

from platforms.models import Fact, Platform

from .helpers import need_checkbox, wait_until

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FOUR = "/compare/?p=zoom&p=webex&p=doxy-me&p=vsee"


def public_pages():
    """Every public page of the seed site, each platform's pages included."""
    pages = [
        "/",
        "/?need=baa&need=waiting-room",
        "/?need=bogus&need=baa",
        "/?q=zzzz-nothing",
        FOUR,
        "/compare/?p=zoom&p=webex&diff=1",
        "/compare/?p=zoom",
        "/criteria/",
        "/changes/",
        "/changes/?platform=zoom",
        "/data/",
        "/no-such-page/",
    ]
    for slug in Platform.objects.published().values_list("slug", flat=True):
        pages += [f"/platforms/{slug}/", f"/platforms/{slug}/checklist/"]
    return pages


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def record_a_change():
    fact = Fact.objects.filter(platform__slug="zoom", state="unknown").first()
    fact.state = "partial"
    fact._change_reason = "test"
    fact.save()


def test_no_public_page_scrolls_sideways_at_390_px(site, phone):
    record_a_change()  # so /changes/ has its table
    too_wide = {}
    for path in public_pages():
        phone.goto(site + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide[path] = width
    assert too_wide == {}


def test_the_comparison_on_a_phone_is_one_card_per_criterion(site, phone):
    phone.goto(site + FOUR)
    row = phone.locator(".compare-table tbody tr:not(.group-row)").first
    cells = row.locator("td")
    expect(cells).to_have_count(4)
    boxes = [cells.nth(i).bounding_box() for i in range(4)]
    # The four platforms' values stack inside the criterion's card, each named.
    assert len({round(box["x"]) for box in boxes}) == 1
    assert all(box["y"] < later["y"] for box, later in zip(boxes, boxes[1:], strict=False))
    names = [
        cells.nth(i).evaluate("td => getComputedStyle(td, '::before').content") for i in range(4)
    ]
    assert names == ['"Zoom"', '"Cisco Webex"', '"Doxy.me"', '"VSee"'] or all(
        name.strip('"') for name in names
    )
    card = row.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= 390


def test_the_comparison_on_a_desktop_scrolls_the_page_with_its_header_in_view(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(site + FOUR)
    wrap = page.locator(".compare-wrap")
    # No inner scroll box: the page scrolls.
    assert wrap.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table = page.locator(".compare-table").bounding_box()
    page.mouse.wheel(0, table["y"] + table["height"] / 2)
    wait_until(page, "window.scrollY > 300")
    header = page.locator(".compare-table thead th").nth(1).bounding_box()
    assert -1 <= header["y"] <= 2, header  # stuck to the top of the window
    # The rows fill the whole window below the header, not a box of 80% of it.
    box = page.locator(".compare-table").bounding_box()
    assert box["y"] < 0 and box["y"] + box["height"] > 800
    column = page.locator(".compare-table tbody .criterion-col").first
    assert column.evaluate("th => getComputedStyle(th).position") == "sticky"
    context.close()


def test_ticked_platforms_stay_ticked_through_live_updates(site, page):
    page.goto(site + "/")
    expect(page.get_by_role("link", name="Clear all")).to_have_count(0)
    names = page.locator("#results .card-title").all_inner_texts()[:2]
    for name in names:
        page.get_by_label(f"Add {name} to the comparison").check()
    page.get_by_label("Sort by").select_option("verified")
    expect(page).to_have_url(re.compile(r"sort=verified"))
    expect(page.get_by_role("link", name="Clear all")).to_be_visible()
    for name in names:
        expect(page.get_by_label(f"Add {name} to the comparison")).to_be_checked()
    page.get_by_label("Search by name, vendor or summary").fill(names[0][:4])
    expect(page).to_have_url(re.compile(r"q="))
    expect(page.get_by_label(f"Add {names[0]} to the comparison")).to_be_checked()
    page.get_by_label("Search by name, vendor or summary").fill("")
    need_checkbox(page, "BAA offered").check()
    expect(page).to_have_url(re.compile(r"need=baa"))
    page.get_by_role("link", name="Clear all").click()
    expect(page).to_have_url(site + "/")


def test_footnotes_highlight_their_source_lead_back_and_are_big_enough_to_tap(site, page):
    for path in ["/platforms/zoom/", FOUR]:
        page.goto(site + path)
        sizes = page.locator(".ref a").evaluate_all(
            "links => links.map(a => [a.offsetWidth, a.offsetHeight])"
        )
        assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), path
    page.goto(site + "/platforms/zoom/")
    ref = page.locator(".facts .ref a").first
    number = ref.inner_text().strip("[]")
    ref.click()
    entry = page.locator(f"#source-{number}")
    expect(entry).to_be_in_viewport()
    assert entry.evaluate("li => getComputedStyle(li).outlineStyle") == "solid"
    entry.locator(".backrefs a").first.click()
    expect(page).to_have_url(re.compile(rf"#cite-{number}-1$"))
    expect(page.locator(f"#cite-{number}-1")).to_be_in_viewport()
    back = entry.locator(".backrefs a").first.evaluate("a => [a.offsetWidth, a.offsetHeight]")
    assert back[0] >= 24 and back[1] >= 24


def test_a_contested_item_prints_its_reason(site, page):
    fact = Fact.objects.filter(contested=True).exclude(contested_reason="").first()
    assert fact is not None, "the seed has a contested fact"
    page.goto(f"{site}/platforms/{fact.platform.slug}/checklist/")
    page.emulate_media(media="print")
    reason = page.locator(".print-only.marker-contested", has_text=fact.contested_reason[:40])
    if reason.count():
        expect(reason.first).to_be_visible()
    page.goto(f"{site}/platforms/{fact.platform.slug}/")
    printed = page.locator(f"#fact-{fact.criterion.slug} .print-only.marker-contested")
    expect(printed).to_be_visible()
    expect(printed).to_contain_text(fact.contested_reason[:40])
    page.emulate_media(media="screen")
    expect(printed).to_be_hidden()


def test_the_print_button_prints_and_is_absent_without_javascript(site, page, no_js_page):
    page.goto(f"{site}/platforms/zoom/checklist/")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print this checklist").click()
    assert page.evaluate("window.printed === true")
    no_js_page.goto(f"{site}/platforms/zoom/checklist/")
    expect(no_js_page.get_by_role("button", name="Print this checklist")).to_be_hidden()
