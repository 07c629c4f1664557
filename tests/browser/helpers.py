"""What a person sees: names on cards, rows in a table, and where keyboard focus is."""

import re

from axe_playwright_python.sync_playwright import Axe

from platforms.dataset import build_dataset
from platforms.models import Criterion, Platform


def expected_names(needs):
    """Published platforms with a plan meeting every need (a platform without plans: its
    platform-wide facts), computed from the per-plan states /platforms.json publishes."""
    criteria = [Criterion.objects.get(slug=slug) for slug in needs]
    dataset = {p["slug"]: p for p in build_dataset()["platforms"]}
    names = []
    for platform in Platform.objects.published().order_by("name"):
        facts = dataset[platform.slug]["facts"]
        plans = [plan["slug"] for plan in dataset[platform.slug]["plans"]]

        def state(criterion, plan, facts=facts):
            fact = facts.get(criterion.slug)
            if fact is None:
                return "unknown"
            return fact["by_plan"][plan] if plan else fact["state"]

        if any(all(state(c, plan) in c.need_met_by for c in criteria) for plan in plans or [None]):
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


def wait_until(page, expression, timeout_ms=5000):
    """Poll `expression` until it is truthy. Playwright's wait_for_function compiles its
    predicate with eval, which the site's CSP (no 'unsafe-eval') refuses; evaluate() does not."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {expression}")
