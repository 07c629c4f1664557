"""Pages are served from the cache until the platform data, the URL or the date changes."""

import datetime
import gzip
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config import caching
from platforms.dataset import SCHEMA_VERSION
from platforms.models import Fact, Platform
from platforms.synthetic import create_synthetic_platforms

# The page cache the site runs with (tests/conftest.py): the test settings switch it off.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

PAGES = [
    "/",
    "/?need=baa&need=waiting-room&need=browser-join",
    "/platforms/zoom/",
    "/compare/?p=zoom&p=webex&p=vsee&p=doxy-me",
    "/criteria/",
    "/platforms.json",
]


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


@pytest.mark.parametrize("url", PAGES)
def test_a_repeated_page_costs_one_query(client, seeded, url):
    first, first_queries = get(client, url)
    again, again_queries = get(client, url)
    assert first.status_code == again.status_code == 200
    assert first_queries > 1
    assert again_queries == 1  # the data version, nothing else
    if url != "/platforms.json":  # its generated_at is the time it was built
        assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_an_edit_through_the_orm_shows_at_once(client, seeded):
    get(client, "/platforms/zoom/")
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary = "A summary edited just now."
    zoom.save()
    response, queries = get(client, "/platforms/zoom/")
    assert "A summary edited just now." in response.content.decode()
    assert queries > 1


def test_a_changed_fact_changes_the_filter_results(client, seeded):
    url = "/?need=baa"
    before = {p.slug for p in get(client, url)[0].context["object_list"]}
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    fact.state = Fact.State.NO if "zoom" in before else Fact.State.YES
    fact.save()
    response, _ = get(client, url)
    after = {p.slug for p in response.context["object_list"]}
    assert ("zoom" in after) != ("zoom" in before)


def test_a_deleted_platform_disappears(client, seeded):
    assert "Doxy.me" in get(client, "/")[0].content.decode()
    Platform.objects.get(slug="doxy-me").delete()
    assert "Doxy.me" not in get(client, "/")[0].content.decode()


def test_bulk_created_platforms_appear(client, seeded):
    before = get(client, "/")[0].context["total"]
    create_synthetic_platforms(3)
    assert get(client, "/")[0].context["total"] == before + 3


def test_page_and_fragment_are_cached_apart(client, seeded):
    url = "/?need=baa"
    page, _ = get(client, url)
    fragment, _ = get(client, url, **{"HX-Request": "true"})
    page_again, _ = get(client, url)
    assert "<html" in page.content.decode()
    assert "<html" not in fragment.content.decode()
    assert 'id="results"' in fragment.content.decode()
    assert "no-store" in fragment["Cache-Control"]
    assert page_again.content == page.content
    assert "HX-Request" in page_again["Vary"]


def test_errors_are_not_cached(client, seeded):
    get(client, "/?sort=sideways")
    response, queries = get(client, "/?sort=sideways")
    assert response.status_code == 400
    assert queries > 1


def test_a_new_day_is_a_new_page(client, seeded, monkeypatch):
    # Facts turn stale with time, so yesterday's page must not be served today.
    get(client, "/platforms/zoom/")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(caching.timezone, "localdate", lambda: tomorrow)
    assert get(client, "/platforms/zoom/")[1] > 1


def test_a_cached_page_still_answers_a_conditional_get(client, seeded):
    get(client, "/")
    response, _ = get(client, "/")
    etag = response["ETag"]
    not_modified, _ = get(client, "/", **{"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""


def test_posts_are_never_served_from_the_cache(client, seeded):
    get(client, "/")
    assert client.post("/").status_code == 405


@pytest.fixture
def compress_above(monkeypatch):
    """The seed dataset is ~100 kB: make it count as big enough to keep compressed."""
    monkeypatch.setattr(caching, "COMPRESS_ABOVE", 10_000)


def test_a_big_body_is_kept_and_sent_compressed(client, seeded, compress_above):
    first, _ = get(client, "/platforms.json", **{"Accept-Encoding": "gzip, deflate, br"})
    again, queries = get(client, "/platforms.json", **{"Accept-Encoding": "gzip"})
    assert queries == 1
    for response in (first, again):
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert response["Content-Type"] == "application/json"
        data = json.loads(gzip.decompress(response.content))
        assert {p["slug"] for p in data["platforms"]} == set(
            Platform.objects.published().values_list("slug", flat=True)
        )


def test_a_client_without_gzip_gets_the_big_body_plain(client, seeded, compress_above):
    get(client, "/platforms.json", **{"Accept-Encoding": "gzip"})
    response, queries = get(client, "/platforms.json")
    assert queries == 1  # the compressed copy, decompressed
    assert not response.has_header("Content-Encoding")
    assert "Accept-Encoding" in response["Vary"]
    assert response.json()["schema"] == SCHEMA_VERSION


def test_pages_under_the_threshold_are_sent_as_rendered(client, seeded):
    for _ in range(2):
        response, _ = get(client, "/platforms/zoom/", **{"Accept-Encoding": "gzip"})
        assert not response.has_header("Content-Encoding")
        assert "Zoom" in response.content.decode()


def test_a_body_too_big_even_compressed_is_rebuilt_each_time(
    client, seeded, compress_above, monkeypatch
):
    monkeypatch.setattr(caching, "MAX_CACHED_BYTES", 1_000)
    get(client, "/platforms.json", **{"Accept-Encoding": "gzip"})
    response, queries = get(client, "/platforms.json", **{"Accept-Encoding": "gzip"})
    assert queries > 1
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["schema"] == SCHEMA_VERSION


def card_of(response, slug):
    html = response.content.decode()
    start = html.index(f'id="compare-{slug}"')
    return html[html.rindex('<li class="card">', 0, start) : html.index("</li>\n", start)]


def test_a_new_filter_combination_reuses_the_cards_other_pages_rendered(client, seeded):
    first, first_queries = get(client, "/?need=baa&sort=name")
    # Another sort and search with the same needs: a new page, the same cards.
    second, second_queries = get(client, "/?need=baa&sort=verified&q=o")
    assert second.status_code == 200
    shown = [p.slug for p in second.context["object_list"]]
    assert shown and "zoom" in shown
    assert card_of(second, "zoom") == card_of(first, "zoom")
    # No card needed its facts loaded: no fact, plan state or citation query this time.
    fresh, fresh_queries = get(client, "/?need=waiting-room&q=o")
    assert second_queries < fresh_queries
    assert second_queries < first_queries


def test_a_card_follows_an_edit_and_the_needs_it_was_rendered_for(client, seeded):
    before = card_of(get(client, "/?need=baa")[0], "zoom")
    other_needs = card_of(get(client, "/?need=baa&need=e2ee&q=zoom")[0], "zoom")
    assert other_needs != before  # says how it meets 2 needs, not 1
    assert "2 of your needs" in other_needs or "all 2" in other_needs
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary = "A card summary edited just now."
    zoom.save()
    after = card_of(get(client, "/?need=baa&q=zoom")[0], "zoom")
    assert "A card summary edited just now." in after
