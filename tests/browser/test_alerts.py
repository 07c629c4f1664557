"""Following a platform by e-mail, in Chromium: the form, the confirmation, unsubscribing."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from alerts.models import Subscription
from platforms.models import Incident, Platform
from tests.alerts.helpers import confirm_link, links_in, path_of

from .helpers import assert_no_axe_violations

pytestmark = pytest.mark.browser


def test_follow_a_platform_confirm_and_unsubscribe(page, site):
    page.goto(f"{site}/platforms/zoom/")
    page.get_by_role("link", name="Get e-mail when this changes").click()
    expect(page).to_have_url(re.compile(r"/alerts/\?platform=zoom$"))
    expect(page.get_by_role("checkbox", name="Zoom", exact=True)).to_be_checked()
    assert_no_axe_violations(page)

    # Sent with nothing chosen but the address removed: the form says what is missing.
    page.get_by_role("checkbox", name="Zoom", exact=True).uncheck()
    page.get_by_label("Your e-mail address").fill("practice@example.org")
    page.get_by_role("button", name="Send me the confirmation e-mail").click()
    expect(page.get_by_role("alert")).to_contain_text("at least one platform")
    assert_no_axe_violations(page)

    page.get_by_role("checkbox", name="Zoom", exact=True).check()
    doxy = Platform.objects.get(name="Doxy.me")
    page.get_by_role("checkbox", name=doxy.name, exact=True).check()
    page.get_by_role("radio", name="Once a week, a summary").check()
    page.get_by_role("button", name="Send me the confirmation e-mail").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(site + confirm_link("practice@example.org"))
    expect(page.get_by_text("How often: Once a week, a summary")).to_be_visible()
    expect(page.get_by_text(f"Platforms: {doxy.name}, Zoom")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Confirm the alerts").click()
    expect(page.get_by_role("heading", name="Your alerts are confirmed")).to_be_visible()
    subscription = Subscription.objects.get()
    assert subscription.frequency == "weekly"
    assert sorted(p.slug for p in subscription.platforms.all()) == sorted([doxy.slug, "zoom"])

    # The link again: it has been used.
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    assert_no_axe_violations(page)

    Subscription.objects.update(frequency="immediate")
    Incident.objects.create(platform=doxy, title="Browser test incident", kind="privacy")
    call_command("send_alerts", verbosity=0)
    alert = mail.outbox[-1]
    unsubscribe = next(url for url in links_in(alert) if "/alerts/unsubscribe/" in url)
    page.goto(site + path_of(unsubscribe))
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert not Subscription.objects.exists()


def test_the_form_works_by_keyboard_alone(page, site):
    page.goto(f"{site}/changes/")
    page.get_by_role("link", name="Get e-mail when this changes").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    page.get_by_label("Your e-mail address").focus()
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name=re.compile("^Every platform"))).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    assert mail.outbox[-1].to == ["keys@example.org"]
