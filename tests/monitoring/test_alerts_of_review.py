"""A fact that source monitoring flags for review reaches e-mail followers once (issue 14)."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Subscription

from .conftest import cited_fact, html
from .test_check_sources import QUOTE, run

pytestmark = pytest.mark.django_db


def follower(email):
    subscription = Subscription.objects.create(email=email)
    subscription.confirm(
        subscription.start_confirmation(), everything=True, platform_ids=[], frequency="immediate"
    )
    return subscription


def test_a_fact_flagged_by_a_check_is_sent_once_with_a_link_to_it(server):
    server.expect_request("/changed").respond_with_data(
        html("<p>Other words.</p>"), content_type="text/html"
    )
    server.expect_request("/same").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    changed = cited_fact(server.url_for("/changed"), QUOTE, platform__published=True)
    unchanged = cited_fact(server.url_for("/same"), QUOTE, platform__published=True)
    follower("manager@example.org")
    run()

    call_command("send_alerts", verbosity=0)

    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert f"{changed.criterion.label} needs review" in body
    assert f"{changed.platform.get_absolute_url()}#fact-{changed.criterion.slug}" in body
    assert unchanged.criterion.label not in body
    changed.refresh_from_db()
    assert changed.state == "yes"  # the machine never changes a state

    run()  # the page is still changed: the same flag is not news
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 1


def test_a_flag_an_editor_already_checked_is_not_sent(server):
    server.expect_request("/changed").respond_with_data(
        html("<p>Other words.</p>"), content_type="text/html"
    )
    fact = cited_fact(server.url_for("/changed"), QUOTE, platform__published=True)
    follower("manager@example.org")
    run()
    type(fact).objects.filter(pk=fact.pk).update(verified_on=timezone.localdate())

    call_command("send_alerts", verbosity=0)

    assert "needs review" not in "".join(m.body for m in mail.outbox)
