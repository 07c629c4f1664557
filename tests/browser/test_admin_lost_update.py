"""Two admins in two browsers edit the same platform: the second save is refused, their
typed input stays on screen, and nothing the first admin saved is lost."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from platforms.models import Platform

pytestmark = pytest.mark.browser

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


def test_second_admins_stale_save_is_refused_and_nothing_is_lost(browser, site):
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

        bob.locator("#id_vendor").fill("Bob's corrected vendor")
        bob.locator("input[name=_save]").first.click()
        errors = bob.locator(".errorlist.nonfield")
        expect(errors).to_contain_text("someone else saved this platform after you opened it")
        expect(errors).to_contain_text("alice")
        expect(errors).to_contain_text("Alice's reviewed summary.")
        expect(bob.locator("#id_vendor")).to_have_value("Bob's corrected vendor")
        zoom.refresh_from_db()
        assert zoom.summary == "Alice's reviewed summary."
        assert zoom.vendor != "Bob's corrected vendor"

        # Having read what changed, Bob takes Alice's summary into his form and saves again:
        # the form now carries the current version, so this save is made on purpose.
        bob.locator("#id_summary").fill("Alice's reviewed summary.")
        bob.locator("input[name=_save]").first.click()
        expect(bob.locator(".messagelist")).to_contain_text("was changed successfully")
        zoom.refresh_from_db()
        assert (zoom.vendor, zoom.summary) == (
            "Bob's corrected vendor",
            "Alice's reviewed summary.",
        )
    finally:
        alice_context.close()
        bob_context.close()
