"""What a person sees: names on cards, rows in a table, and where keyboard focus is."""

import re

from axe_playwright_python.sync_playwright import Axe

from platforms.models import Criterion, Platform


def expected_names(needs):
    """Published platforms meeting every need, computed from the data (never typed in)."""
    criteria = [Criterion.objects.get(slug=slug) for slug in needs]
    names = []
    for platform in Platform.objects.published().order_by("name"):
        states = dict(platform.facts.values_list("criterion__slug", "state"))
        if all(states.get(c.slug) in c.need_met_by for c in criteria):
            names.append(platform.name)
    return names


def card_names(page):
    return page.locator("#results .card-title").all_inner_texts()


def column_names(page):
    return [
        name.split("\n")[0].strip()
        for name in page.locator(".compare-table thead th:not(.criterion-col)").all_inner_texts()
    ]


def shown_rows(page):
    return page.locator(".compare-table tbody tr:not(.group-row)")


def need_checkbox(page, label_start):
    return page.get_by_role("checkbox", name=re.compile(f"^{re.escape(label_start)}"))


def assert_no_axe_violations(page):
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def tab_to(page, locator, limit=120):
    """Press Tab until `locator` has focus; fails if the keyboard can't reach it."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("el => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def list_url(*needs):
    """The list page's URL with exactly these needs (the form also sends q and sort)."""
    chosen = "&".join(f"need={need}" for need in needs)
    return re.compile(rf"/\?(q=[^&]*&)?{chosen}(&sort=[a-z]*)?$")
