"""A therapist's journey through the site, in Chromium, with JavaScript on and off."""

import re

import pytest
from playwright.sync_api import expect

from platforms.dataset import build_dataset
from platforms.models import Criterion, Platform

from .helpers import (
    assert_no_axe_violations,
    card_names,
    column_names,
    expected_names,
    list_url,
    need_checkbox,
    shown_rows,
    tab_to,
)

pytestmark = pytest.mark.browser

NEEDS = {"baa": "BAA offered", "waiting-room": "Waiting room", "browser-join": "Clients join"}


def differing_rows(slugs):
    """Rows where the platforms differ: in the state, the plan scope, or which of their plans
    have which state (from the per-plan states /platforms.json publishes)."""
    data = build_dataset(Platform.objects.filter(slug__in=slugs))["platforms"]
    cells = {}
    for criterion in Criterion.objects.values_list("slug", flat=True):
        for platform in data:
            fact = platform["facts"].get(criterion)
            if fact is None:
                cells.setdefault(criterion, set()).add(None)
                continue
            names = {plan["slug"]: plan["name"] for plan in platform["plans"]}
            by_plan = fact["by_plan"]
            plans = (
                frozenset((names[plan], state) for plan, state in by_plan.items())
                if len(set(by_plan.values())) > 1
                else frozenset()
            )
            cells.setdefault(criterion, set()).add((fact["state"], fact["plan_scope"], plans))
    return sum(len(values) > 1 for values in cells.values())


def total_rows():
    return Criterion.objects.count()


def slug_of(page, name):
    href = page.locator("#results .card-title a", has_text=name).get_attribute("href")
    return href.strip("/").split("/")[-1]


def journey(page, base, javascript):
    def apply_filters():
        if not javascript:
            page.get_by_role("button", name="Show platforms").click()

    page.goto(base + "/")
    for label in NEEDS.values():
        need_checkbox(page, label).check()
    apply_filters()
    expect(page).to_have_url(list_url("baa", "waiting-room", "browser-join"))
    expected = expected_names(NEEDS)
    expect(page.locator("#results .card-title")).to_have_count(len(expected) or 0)
    assert card_names(page) == expected
    count = page.locator("#result-count")
    expect(count).to_contain_text(f"{len(expected)} platform")

    # Fewer needs, more results: now pick two of them to compare.
    need_checkbox(page, NEEDS["browser-join"]).uncheck()
    apply_filters()
    expect(page).to_have_url(list_url("baa", "waiting-room"))
    broader = expected_names(["baa", "waiting-room"])
    expect(page.locator("#results .card-title")).to_have_count(len(broader))
    assert len(broader) >= 2
    chosen = broader[:2]
    slugs = [slug_of(page, name) for name in chosen]
    for name in chosen:
        page.get_by_label(f"Add {name} to the comparison").check()
    page.get_by_role("button", name="Compare the ticked platforms").click()
    expect(page).to_have_url(re.compile(rf"/compare/\?p={slugs[0]}&p={slugs[1]}$"))
    assert column_names(page) == chosen
    expect(shown_rows(page)).to_have_count(total_rows())

    # Only the rows that differ, marked in words as well as by the left border.
    toggle = page.get_by_label("Show only rows where the platforms differ")
    toggle.check()
    if not javascript:
        page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"diff=1"))
    differing = differing_rows(slugs)
    expect(shown_rows(page)).to_have_count(differing)
    expect(page.locator(".compare-table tbody tr:not(.group-row) .differs-mark")).to_have_count(
        differing
    )

    # Add a third platform from the compare page itself.
    third = page.locator("#add-platform option").first.inner_text()
    page.get_by_label("Add a platform").select_option(label=third)
    page.get_by_role("button", name="Add to comparison").click()
    expect(page).to_have_url(re.compile(r"p=.*&p=.*&p=.*diff=1"))
    assert column_names(page) == [*chosen, third]

    # Back twice: each earlier state comes back whole.
    page.go_back()
    expect(page).to_have_url(re.compile(rf"/compare/\?p={slugs[0]}&p={slugs[1]}&diff=1$"))
    expect(page.get_by_label("Show only rows where the platforms differ")).to_be_checked()
    expect(shown_rows(page)).to_have_count(differing)
    page.wait_for_load_state()
    assert column_names(page) == chosen

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/compare/\?p={slugs[0]}&p={slugs[1]}$"))
    expect(page.get_by_label("Show only rows where the platforms differ")).not_to_be_checked()
    expect(shown_rows(page)).to_have_count(total_rows())
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Comparing")
    assert column_names(page) == chosen


def test_therapist_journey_with_javascript(site, page):
    journey(page, site, javascript=True)


def test_therapist_journey_without_javascript(site, no_js_page):
    journey(no_js_page, site, javascript=False)


def test_back_to_a_filtered_list_shows_the_full_page(site, page):
    page.goto(site + "/")
    need_checkbox(page, NEEDS["baa"]).check()
    expect(page).to_have_url(list_url("baa"))
    need_checkbox(page, NEEDS["waiting-room"]).check()
    expect(page).to_have_url(list_url("baa", "waiting-room"))
    page.go_back()
    expect(page).to_have_url(list_url("baa"))
    expect(page.locator("h1")).to_have_text("Find a video platform for therapy")
    expect(need_checkbox(page, NEEDS["baa"])).to_be_checked()
    expect(need_checkbox(page, NEEDS["waiting-room"])).not_to_be_checked()
    expect(page.locator("#results .card-title")).to_have_count(len(expected_names(["baa"])))


def test_result_count_is_announced_and_updates(site, page):
    page.goto(site + "/")
    count = page.locator("#result-count")
    expect(count).to_have_attribute("aria-live", "polite")
    need_checkbox(page, NEEDS["browser-join"]).check()
    expected = expected_names(["browser-join"])
    expect(count).to_contain_text(f"{len(expected)} platform")


def test_closest_matches_when_nothing_meets_every_need(site, page):
    page.goto(site + "/")
    boxes = page.locator('input[name="need"]')
    for i in range(boxes.count()):
        boxes.nth(i).check()
    expect(page.locator(".closest-note")).to_be_visible()
    expect(page.locator("#results .needs-met").first).to_contain_text("Meets")


def test_whole_flow_by_keyboard(site, page):
    page.goto(site + "/")
    baa = need_checkbox(page, NEEDS["baa"])
    tab_to(page, baa)
    page.keyboard.press("Space")
    expect(page).to_have_url(list_url("baa"))
    names = expected_names(["baa"])[:2]
    for name in names:
        box = page.get_by_label(f"Add {name} to the comparison")
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Compare the ticked platforms"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/compare/\?p="))
    toggle = page.get_by_label("Show only rows where the platforms differ")
    tab_to(page, toggle)
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"diff=1"))
    details = page.locator("details.marker summary").first
    if details.count():
        tab_to(page, details)
        page.keyboard.press("Enter")
        expect(page.locator("details.marker").first).to_have_attribute("open", "")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?need=baa&need=waiting-room",
        "/platforms/zoom/",
        "/compare/?p=zoom&p=webex&p=doxy-me",
        "/compare/?p=zoom",
        "/compare/?p=zoom&p=webex&find=v",  # the search shown for big catalogues
        "/compare/?p=zoom&find=v",
        "/criteria/",
    ],
)
def test_pages_have_no_axe_violations(site, page, path):
    page.goto(site + path)
    assert_no_axe_violations(page)
