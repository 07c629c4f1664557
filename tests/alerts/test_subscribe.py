"""Subscribe, confirm, receive the alert after an admin edit, unsubscribe (locmem e-mail)."""

import time
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client

from alerts import links
from alerts.models import Subscription
from platforms.models import Incident, Platform
from tests.platforms.admin_forms import staff_client

from .helpers import (
    a_plans_own_state,
    cited_fact,
    confirm_link,
    edit_plan_state,
    edit_state,
    links_in,
    path_of,
    subscribe,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(seeded):
    client, _user = staff_client("alerts-editor")
    return client


def test_subscribe_confirm_receive_after_admin_edit_and_unsubscribe(client, editor):
    fact, new_state = cited_fact()
    platform = fact.platform
    page = client.get(f"/alerts/?platform={platform.slug}")
    assert page.status_code == 200
    assert f'value="{platform.slug}" id="id_platforms_' in page.content.decode()
    response = subscribe(client, "Reader@Example.org", [platform.slug])
    assert response.status_code == 302 and response["Location"] == "/alerts/sent/"
    [message] = mail.outbox
    assert message.to == ["reader@example.org"]
    assert platform.name in message.body
    assert message.alternatives and "text/html" in message.alternatives[0][1]

    # Nothing is sent before the address is confirmed.
    edit_state(editor, fact, new_state)
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 1

    link = confirm_link("reader@example.org")
    assert link.startswith("/alerts/confirm/")
    assert links_in(message)[0].startswith("https://compare.example.org/alerts/confirm/")
    page = client.get(link)  # a GET (a mail scanner) changes nothing
    assert page.status_code == 200 and "Confirm the alerts" in page.content.decode()
    assert not Subscription.objects.get().is_confirmed
    assert client.post(link).status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.is_confirmed and list(subscription.platforms.all()) == [platform]

    # An edit after confirming is sent, once, with a link to the fact.
    fact.refresh_from_db()
    before = fact.get_state_display()
    edit_state(editor, fact, "no" if fact.state != "no" else "yes")
    fact.refresh_from_db()
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2
    alert = mail.outbox[-1]
    assert alert.to == ["reader@example.org"]
    assert platform.name in alert.subject
    # From the state the edit before the window left (the change log's rule, in a window).
    assert f"{fact.criterion.label}: {before} → {fact.get_state_display()}" in alert.body
    fact_url = f"https://compare.example.org/platforms/{platform.slug}/#fact-{fact.criterion.slug}"
    assert fact_url in alert.body
    html = alert.alternatives[0][0]
    assert f'href="{fact_url}"' in html
    unsubscribe = alert.extra_headers["List-Unsubscribe"].strip("<>")
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in alert.body
    # The edit before confirming is not in it (it was before the window began).
    assert alert.body.count("https://compare.example.org/platforms/") == 1

    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2  # nothing sent twice

    # One-click unsubscribe: a POST without cookie or CSRF token, as a mail client sends it.
    one_click = Client(enforce_csrf_checks=True)
    response = one_click.post(
        path_of(unsubscribe),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Subscription.objects.exists()
    edit_state(editor, fact, new_state)
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2


def test_unsubscribe_page_asks_first_then_erases(client, seeded):
    subscription = confirmed("a@example.org", everything=True)
    url = path_of(links.unsubscribe_url(subscription))
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    assert Subscription.objects.exists()
    assert client.post(url).status_code == 200
    assert not Subscription.objects.exists()
    again = client.get(url)
    assert again.status_code == 200 and "Not subscribed" in again.content.decode()


def confirmed(email, everything=False, platforms=(), frequency="immediate"):
    subscription = Subscription.objects.create(email=email)
    nonce = subscription.start_confirmation()
    ids = [p.pk for p in platforms]
    assert subscription.confirm(
        nonce, everything=everything, platform_ids=ids, frequency=frequency
    )
    return subscription


def test_everything_includes_new_incidents_and_platforms_not_followed_are_left_out(client, editor):
    everything = confirmed("all@example.org", everything=True)
    webex = confirmed("webex@example.org", platforms=[Platform.objects.get(slug="webex")])
    zoom = Platform.objects.get(slug="zoom")
    # A new incident (its history row is what the alert reads).
    Incident.objects.create(
        platform=zoom, title="Test incident from the admin", kind="security", status="open"
    )
    call_command("send_alerts", verbosity=0)
    assert [m.to for m in mail.outbox] == [[everything.email]]
    body = mail.outbox[0].body
    assert "New security incident: Test incident from the admin" in body
    assert "https://compare.example.org/platforms/zoom/#incidents-heading" in body
    assert webex.email not in {m.to[0] for m in mail.outbox}


def test_the_page_never_tells_whether_an_address_is_subscribed(client, seeded):
    confirmed("known@example.org", everything=True)
    first = subscribe(client, "known@example.org", everything=True)
    second = subscribe(client, "new@example.org", everything=True)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert client.get(first["Location"]).content == client.get(second["Location"]).content
    # The confirmed subscriber's choices change only when the new link is used.
    subscription = Subscription.objects.get(email="known@example.org")
    assert subscription.is_confirmed and subscription.everything


def test_honeypot_is_answered_like_a_person_but_sends_nothing(client, seeded):
    response = client.post(
        "/alerts/",
        {"email": "bot@example.org", "everything": "on", "frequency": "weekly", "website": "x"},
    )
    assert response.status_code == 302 and response["Location"] == "/alerts/sent/"
    assert mail.outbox == [] and not Subscription.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "not-an-address", "everything": "on", "frequency": "weekly"}, "valid email"),
        ({"email": "a@example.org", "frequency": "weekly"}, "at least one platform"),
        ({"email": "a@example.org", "everything": "on", "frequency": "hourly"}, "valid choice"),
        ({"email": "a@example.org", "platforms": ["no-such"], "frequency": "weekly"}, "valid"),
        # RejectBadInputMiddleware answers before the form: it names the character and where.
        (
            {"email": "a\x00@example.org", "everything": "on", "frequency": "weekly"},
            "a null character (NUL, %00) in a form field",
        ),
    ],
)
def test_bad_form_input_is_a_400_with_the_reason(client, seeded, data, message):
    response = client.post("/alerts/", data)
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower()
    assert mail.outbox == []


def test_unknown_platform_in_the_query_string_is_a_400(client, seeded):
    assert client.get("/alerts/?platform=no-such-platform").status_code == 400


def test_rate_limits_per_client_and_per_address(client, seeded, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}
    }
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        assert subscribe(client, "same@example.org", everything=True).status_code == 302
    assert len(mail.outbox) == 3
    # The fourth request for one address that day: the same answer, and no e-mail.
    assert subscribe(client, "same@example.org", everything=True).status_code == 302
    assert len(mail.outbox) == 3
    for n in range(6):
        assert subscribe(client, f"other{n}@example.org", everything=True).status_code == 302
    limited = subscribe(client, "one-more@example.org", everything=True)
    assert limited.status_code == 429
    assert "try again in an hour" in limited.content.decode()
    other_client = Client(REMOTE_ADDR="192.0.2.7")
    assert subscribe(other_client, "one-more@example.org", everything=True).status_code == 302
    cache.clear()


def test_forged_expired_and_reused_confirmation_links_are_clear_4xx(client, seeded):
    subscribe(client, "t@example.org", everything=True)
    link = confirm_link("t@example.org")
    token = link.split("/")[3]
    forged = client.get(f"/alerts/confirm/{token[:-3]}abc/")
    assert forged.status_code == 400 and "does not work" in forged.content.decode()
    other_salt = signing.loads(token, salt=links.CONFIRM_SALT)
    as_unsubscribe = signing.dumps(other_salt, salt=links.UNSUBSCRIBE_SALT)
    assert client.post(f"/alerts/confirm/{as_unsubscribe}/").status_code == 400
    assert client.post(f"/alerts/unsubscribe/{token}/").status_code == 400
    assert client.post(link).status_code == 200
    reused = client.post(link)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()

    # A newer link replaces the older one.
    subscribe(client, "t@example.org", platforms=["zoom"])
    older = link
    newer = confirm_link("t@example.org")
    subscribe(client, "t@example.org", platforms=["webex"])
    newest = confirm_link("t@example.org")
    assert client.post(newer).status_code == 410 and older != newest
    assert client.post(newest).status_code == 200
    assert [p.slug for p in Subscription.objects.get().platforms.all()] == ["webex"]

    # Expired: the signature's timestamp is older than three days.
    subscribe(client, "late@example.org", everything=True)
    late = confirm_link("late@example.org")
    four_days_on = time.time() + 4 * 24 * 60 * 60
    with mock.patch("django.core.signing.time.time", return_value=four_days_on):
        expired = client.get(late)
        assert client.post(late).status_code == 410
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert not Subscription.objects.get(email="late@example.org").is_confirmed


def test_token_pages_are_not_cached_and_set_no_cookie(client, seeded):
    subscribe(client, "c@example.org", everything=True)
    fresh = Client()
    link = confirm_link("c@example.org")
    for response in [fresh.get(link), fresh.get("/alerts/confirm/nonsense/")]:
        assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
        assert not response.cookies
    form = fresh.get("/alerts/")
    assert "csrftoken" in form.cookies
    assert "private" in form["Cache-Control"] and "public" not in form["Cache-Control"]


def test_a_plans_own_state_changing_is_sent_with_the_plan_and_a_link_to_the_fact(editor):
    own, fact, plan = a_plans_own_state(state="unknown", fact__state="yes")
    platform = fact.platform
    follower = confirmed("plans@example.org", platforms=[platform])
    other = Platform.objects.published().exclude(pk=platform.pk).first()
    confirmed("other@example.org", platforms=[other])
    edit_plan_state(editor, fact, plan, "no")
    call_command("send_alerts", verbosity=0)
    [alert] = mail.outbox
    assert alert.to == [follower.email]
    # "BAA offered: Unknown → No on Basic (free)": the plan's own state, before and after.
    wording = f"{fact.criterion.label}: Unknown → No on {plan.name}"
    fact_url = f"https://compare.example.org/platforms/{platform.slug}/#fact-{fact.criterion.slug}"
    assert f"- {wording} (" in alert.body and fact_url in alert.body
    assert f'<a href="{fact_url}">{wording}</a>' in alert.alternatives[0][0]

    # Removing the plan's own state gives it the fact's platform-wide state again.
    edit_plan_state(editor, fact, plan, None)
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2
    assert f"{fact.criterion.label}: No → Yes on {plan.name}" in mail.outbox[-1].body
    assert mail.outbox[-1].body.count(fact_url) == 1


def test_public_pages_link_to_the_form_and_stay_cookie_free(client, seeded):
    for url, expected in [
        ("/platforms/zoom/", "/alerts/?platform=zoom"),
        ("/changes/", 'href="/alerts/"'),
        ("/changes/?platform=webex", "/alerts/?platform=webex"),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert expected in response.content.decode()
        assert "Get e-mail when this changes" in response.content.decode()
        assert not response.cookies and "public" in response["Cache-Control"]


@pytest.mark.parametrize(
    "junk", ["x", "a" * 5000, "%ff%fe", "e30:1abc:def", ".eJw:1x:y", "🦄", "..", "[1]"]
)
def test_junk_tokens_are_a_400_never_a_500(client, seeded, junk):
    for url in [f"/alerts/confirm/{junk}/", f"/alerts/unsubscribe/{junk}/"]:
        assert client.get(url).status_code == 400, url
        assert client.post(url).status_code == 400, url


def test_a_signed_unsubscribe_token_of_the_wrong_shape_is_a_400(client, seeded):
    for payload in [7, "ab", [1], {"s": 1}, ["x", "y"]]:
        token = signing.dumps(payload, salt=links.UNSUBSCRIBE_SALT)
        assert client.post(f"/alerts/unsubscribe/{token}/").status_code == 400, payload
    for payload in [7, [], {"s": "x", "n": 1, "a": 1, "p": "zz", "f": "weekly"}, {"s": 1}]:
        token = signing.dumps(payload, salt=links.CONFIRM_SALT)
        assert client.post(f"/alerts/confirm/{token}/").status_code == 400, payload
