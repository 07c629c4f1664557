"""The review workflow: find stale, unsourced and unknown facts; mark them verified."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platforms.models import Fact, Platform, State, stale_cutoff
from platforms.synthetic import create_synthetic_platforms

from .admin_forms import staff_client

pytestmark = pytest.mark.django_db


def listed(response):
    return {fact.pk for fact in response.context["cl"].result_list}


def test_stale_filter_lists_facts_verified_over_a_year_ago(seeded):
    client, _ = staff_client("root")
    old = Fact.objects.filter(platform__slug="zoom").first()
    Fact.objects.filter(pk=old.pk).update(
        verified_on=timezone.localdate() - datetime.timedelta(days=400)
    )
    shown = listed(client.get("/admin/platforms/fact/", {"verification": "stale"}))
    assert old.pk in shown
    assert shown == set(Fact.objects.stale().values_list("pk", flat=True))
    fresh = listed(client.get("/admin/platforms/fact/", {"verification": "fresh"}))
    assert old.pk not in fresh and fresh


def quoted(fact):
    """Whether a citation of the fact quotes its page (read from prefetched citations)."""
    return any(citation.quote.strip() for citation in fact.citations.all())


def remove_quoted_sources(*facts):
    """Claims without a quoted source, which the seed data never has: the first keeps its
    citations with their quotes emptied (an empty quote proves nothing), the others lose
    their citations."""
    first, *others = facts
    assert first.citations.update(quote="")
    for fact in others:
        fact.citations.all().delete()


@pytest.mark.parametrize(
    ("choice", "expected", "rule"),
    [
        ("unsourced", lambda f: not quoted(f), Fact.objects.unsourced),
        ("sourced", quoted, None),
        ("unknown", lambda f: f.state == State.UNKNOWN, None),
        (
            "unsourced-claim",
            lambda f: not quoted(f) and f.state != State.UNKNOWN,
            Fact.objects.unsourced_claims,
        ),
        ("needs-work", lambda f: not quoted(f) or f.state == State.UNKNOWN, None),
    ],
)
def test_sourcing_filters(seeded, choice, expected, rule):
    client, _ = staff_client("root")
    remove_quoted_sources(*Fact.objects.filter(state=State.YES)[:2])
    response = client.get("/admin/platforms/fact/", {"sourcing": choice})
    assert response.status_code == 200
    # Every fact the filter selects, on every page of the list (more than "Show all" shows).
    chosen = {fact.pk for fact in response.context["cl"].queryset}
    want = {f.pk for f in Fact.objects.prefetch_related("citations") if expected(f)}
    assert want
    assert chosen == want
    assert response.context["cl"].result_count == len(want)
    if rule is not None:  # the filter is the site's one definition of the rule
        assert chosen == set(rule().values_list("pk", flat=True))


def test_mark_verified_today_records_who_and_skips_unsourced_claims(seeded):
    client, user = staff_client("vera")
    stale_day = timezone.localdate() - datetime.timedelta(days=500)
    sourced = Fact.objects.filter(platform__slug="zoom").exclude(pk__in=Fact.objects.unsourced())[
        :2
    ]
    unsourced_claim = Fact.objects.filter(platform__slug="webex", state=State.YES).first()
    remove_quoted_sources(unsourced_claim)
    chosen = [*sourced, unsourced_claim]
    Fact.objects.filter(pk__in=[f.pk for f in chosen]).update(verified_on=stale_day)
    zoom_version = Platform.objects.get(slug="zoom").version

    response = client.post(
        "/admin/platforms/fact/",
        {"action": "mark_verified_today", "_selected_action": [f.pk for f in chosen]},
        follow=True,
    )
    html = response.content.decode()
    assert "2 facts marked verified today." in html
    assert "without a quoted source" in html and str(unsourced_claim) in html
    for fact in sourced:
        fact.refresh_from_db()
        assert fact.verified_on == timezone.localdate()
        assert fact.verified_by == user
        record = fact.history.latest()
        assert record.history_user == user and record.verified_on == timezone.localdate()
    unsourced_claim.refresh_from_db()
    assert unsourced_claim.verified_on == stale_day and unsourced_claim.verified_by is None
    assert Platform.objects.get(slug="zoom").version == zoom_version + 1


def test_editing_the_verified_date_records_the_verifier(seeded):
    from .admin_forms import form_data

    client, user = staff_client("vera")
    fact = Fact.objects.exclude(pk__in=Fact.objects.unsourced()).first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    data["verified_on"] = timezone.localdate().isoformat()
    assert client.post(url, data).status_code == 302
    fact.refresh_from_db()
    assert fact.verified_by == user


def test_landing_panel_counts_per_platform(seeded):
    client, _ = staff_client("root")
    zoom = Platform.objects.get(slug="zoom")
    one = zoom.facts.filter(state=State.YES).first()
    Fact.objects.filter(pk=one.pk).update(
        verified_on=stale_cutoff() - datetime.timedelta(days=1),
        contested=True,
        contested_reason="Vendor says otherwise",
    )
    html = client.get("/admin/").content.decode()
    assert 'id="review-panel"' in html
    for platform in Platform.objects.all():
        facts = platform.facts.all()
        stale = facts.filter(verified_on__lt=stale_cutoff()).count()
        unknown = facts.filter(state=State.UNKNOWN).count()
        contested = facts.filter(contested=True).count()
        assert f'platform__id__exact={platform.pk}&amp;verification=stale">{stale}<' in html, (
            platform
        )
        assert f'platform__id__exact={platform.pk}&amp;state__exact=unknown">{unknown}<' in html
        assert f'platform__id__exact={platform.pk}&amp;contested__exact=1">{contested}<' in html
    assert zoom.facts.filter(verified_on__lt=stale_cutoff()).count() >= 1


def test_landing_panel_query_count_does_not_grow_with_platforms(seeded):
    client, _ = staff_client("root")
    client.get("/admin/")  # warm the content-type and session caches
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/")
    create_synthetic_platforms(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/")
    assert response.content.decode().count("verification=stale") == Platform.objects.count()
    assert len(many) == len(few)


def test_editors_without_fact_access_see_no_panel(seeded):
    client, _ = staff_client("nobody", superuser=False)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert 'id="review-panel"' not in response.content.decode()
