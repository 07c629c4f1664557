"""Where a needs-review flag shows: next to the state on the public pages, in the admin."""

import pytest

from monitoring.models import needs_review_q
from platforms.models import Fact
from tests.platforms.admin_forms import staff_client

from .conftest import cited_fact, html
from .test_check_sources import QUOTE, run

pytestmark = pytest.mark.django_db

MARK = "Source changed since checked"


@pytest.fixture
def flagged(server):
    server.expect_request("/changed").respond_with_data(
        html("<p>Other words.</p>"), content_type="text/html"
    )
    server.expect_request("/same").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    changed = cited_fact(server.url_for("/changed"), QUOTE)
    same = cited_fact(server.url_for("/same"), QUOTE)
    run()
    return changed, same


def test_the_platform_compare_and_checklist_pages_say_the_source_changed(client, flagged):
    changed, same = flagged
    page = client.get(changed.platform.get_absolute_url())
    assert page.status_code == 200
    assert MARK in page.content.decode()
    # In words and with an icon hidden from screen readers, not by colour alone.
    assert 'class="marker marker-review"><span aria-hidden="true">⚠</span> Source changed' in (
        page.content.decode()
    )
    assert MARK not in client.get(same.platform.get_absolute_url()).content.decode()
    compared = client.get(f"/compare/?p={changed.platform.slug}&p={same.platform.slug}")
    assert compared.status_code == 200
    assert compared.content.decode().count(MARK) == 1
    assert not page.cookies and not compared.cookies


def test_the_facts_admin_filters_and_counts_the_facts_to_review(flagged):
    changed, same = flagged
    assert list(Fact.objects.filter(needs_review_q())) == [changed]
    admin, _user = staff_client("monitoring-editor")
    listing = admin.get("/admin/platforms/fact/?monitoring=needs-review")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [changed]
    others = admin.get("/admin/platforms/fact/?monitoring=ok")
    assert changed not in others.context["cl"].result_list
    assert same in others.context["cl"].result_list
    home = admin.get("/admin/").content.decode()
    assert "Sources changed since checked" in home
    assert f"?platform__id__exact={changed.platform.pk}&amp;monitoring=needs-review" in home
    assert f"?platform__id__exact={same.platform.pk}&amp;monitoring" not in home


def test_the_checklist_marks_a_seeded_fact_whose_new_source_changed(client, seeded, server):
    from monitoring.models import SourceCheck
    from platforms.models import Citation, Source

    from .conftest import days_ago

    server.expect_request("/zoom-baa").respond_with_data(
        html("<p>Moved.</p>"), content_type="text/html"
    )
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    before = client.get("/platforms/zoom/checklist/").content.decode()
    assert MARK not in before and "BAA" in before
    source = Source.objects.create(
        url=server.url_for("/zoom-baa"),
        title="t",
        publisher="p",
        accessed_on=days_ago(3),
        kind="vendor",
    )
    Citation.objects.create(fact=fact, source=source, quote=QUOTE, seen_on=days_ago(3))
    # The seed's facts may have been verified today, which would clear the flag at once.
    Fact.objects.filter(pk=fact.pk).update(verified_on=days_ago(3))
    run(f"--source={source.url}")  # only the local page: the seed's pages are never fetched
    assert SourceCheck.objects.count() == 1
    page = client.get("/platforms/zoom/checklist/").content.decode()
    assert page.count(MARK) == 1


def test_a_cached_page_shows_the_mark_as_soon_as_a_check_flags_the_fact(client, server, settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "monitoring-page-cache",
        }
    }
    caches["default"].clear()
    server.expect_request("/later").respond_with_data(
        html("<p>Other words.</p>"), content_type="text/html"
    )
    fact = cited_fact(server.url_for("/later"), QUOTE)
    url = fact.platform.get_absolute_url()
    assert MARK not in client.get(url).content.decode()
    run()
    assert MARK in client.get(url).content.decode()
