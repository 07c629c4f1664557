"""Two admins in two browsers edit the same platform: the second save keeps what the first
saved, and is refused only where both changed the same field, with both values on screen."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from platforms.models import Platform

# Slow: two browsers on the admin (tests/platforms/test_admin_lost_update.py covers the
# same merges without one, in the quick round).
pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "a long test passphrase 42"


def signed_in_page(browser, site, username):
    get_user_model().objects.create_superuser(username, f"{username}@example.org", PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#review-panel")).to_be_visible()
    return context, page


def test_second_admins_stale_save_keeps_both_or_shows_both(browser, site):
    zoom = Platform.objects.get(slug="zoom")
    url = f"{site}/admin/platforms/platform/{zoom.pk}/change/"
    alice_context, alice = signed_in_page(browser, site, "alice")
    bob_context, bob = signed_in_page(browser, site, "bob")
    try:
        alice.goto(url)
        bob.goto(url)

        alice.locator("#id_summary").fill("Alice's reviewed summary.")
        alice.locator("input[name=_save]").first.click()
        expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")

        # Bob changes another field: his save keeps Alice's summary and adds his vendor.
        bob.locator("#id_vendor").fill("Bob's corrected vendor")
        bob.locator("input[name=_save]").first.click()
        expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
        zoom.refresh_from_db()
        assert (zoom.vendor, zoom.summary) == (
            "Bob's corrected vendor",
            "Alice's reviewed summary.",
        )

        # Both change the vendor: Bob's save is refused with both values side by side.
        alice.goto(url)
        bob.goto(url)
        alice.locator("#id_vendor").fill("Alice's vendor")
        alice.locator("input[name=_save]").first.click()
        expect(alice.locator(".messagelist")).to_contain_text("was changed successfully")
        bob.locator("#id_vendor").fill("Bob's second vendor")
        bob.locator("input[name=_save]").first.click()
        conflicts = bob.locator(".errorlist.nonfield table.conflicts")
        expect(conflicts).to_contain_text("Alice's vendor")
        expect(conflicts).to_contain_text("Bob's second vendor")
        expect(bob.locator("#id_vendor")).to_have_value("Bob's second vendor")
        zoom.refresh_from_db()
        assert zoom.vendor == "Alice's vendor"

        # Having read hers, Bob saves again on purpose: his vendor is kept.
        bob.locator("input[name=_save]").first.click()
        expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
        zoom.refresh_from_db()
        assert (zoom.vendor, zoom.summary) == ("Bob's second vendor", "Alice's reviewed summary.")
    finally:
        alice_context.close()
        bob_context.close()
