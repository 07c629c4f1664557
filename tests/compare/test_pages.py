import datetime
import re

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compare import comparison, views
from platforms.dataset import build_dataset
from platforms.models import Criterion, Fact, Platform, State
from platforms.synthetic import create_synthetic_platforms

from .oracle import expected_slugs

pytestmark = pytest.mark.django_db

NEEDS = ["baa", "waiting-room", "browser-join"]


def platforms_meeting(slugs):
    """The names of the published platforms with a plan meeting every need, computed from
    /platforms.json (tests/compare/oracle.py)."""
    dataset = build_dataset()
    listed = expected_slugs(dataset, slugs)
    return sorted(p["name"] for p in dataset["platforms"] if p["slug"] in listed)


def test_list_shows_every_published_platform(client, seeded):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in Platform.objects.published().values_list("name", flat=True):
        assert name in html


def test_filtering_by_needs_keeps_only_platforms_meeting_all(client, seeded):
    expected = platforms_meeting(["baa"])
    response = client.get("/", {"need": ["baa"]})
    names = sorted(p.name for p in response.context["object_list"])
    assert names == expected
    assert response.context["total"] == len(expected)


def test_result_pages_link_each_other_keeping_the_filter(client, seeded, monkeypatch):
    monkeypatch.setattr(views.PlatformListView, "paginate_by", 2)
    first = client.get("/", {"sort": "verified"}).content.decode()
    assert 'href="?sort=verified&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/", {"sort": "verified", "page": "2"}).content.decode()
    assert 'href="?sort=verified&amp;page=1" rel="prev"' in second
    # The downloads are of every page.
    assert 'href="/list.csv?sort=verified"' in second


@pytest.mark.parametrize("page_size", [2, 3, 100])
def test_a_first_page_holding_every_result_needs_no_count(client, seeded, monkeypatch, page_size):
    monkeypatch.setattr(views.PlatformListView, "paginate_by", page_size)
    total = len(platforms_meeting(["baa"]))
    assert 2 < total < 100, "the seed has a few platforms offering a BAA"
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"need": ["baa"]})
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert response.context["total"] == total
    assert len(response.context["object_list"]) == min(total, page_size)
    assert response.context["page_obj"].has_other_pages() == (total > page_size)
    assert len(counts) == (total > page_size)  # counted by the database only when needed
    if total > page_size:  # the next page reads the same results on
        second = client.get("/", {"need": ["baa"], "page": "2"}).context
        assert second["total"] == total
        assert second["object_list"][0] not in response.context["object_list"]
    assert client.get("/", {"need": ["baa"], "page": "9"}).status_code == 404


@pytest.mark.parametrize("chosen", [[], ["baa"]])
def test_facet_counts_say_how_many_would_match(client, seeded, chosen):
    response = client.get("/", {"need": chosen})
    html = response.content.decode()
    for option in response.context["need_options"]:
        slug = option["criterion"].slug
        expected = len(platforms_meeting(sorted({*chosen, slug})))
        assert option["count"] == expected, slug
        facet = html.split(f'id="facet-{slug}">', 1)[1].split("</span></label>", 1)[0]
        assert f"{expected}<span" in facet, slug


def test_no_full_match_shows_closest_matches_with_what_they_miss(client, seeded):
    needs = [c.slug for c in Criterion.objects.filterable()]
    assert platforms_meeting(needs) == []  # nobody meets every filter in the seed data
    response = client.get("/", {"need": needs})
    assert response.status_code == 200
    closest = response.context["closest"]
    assert closest
    met = [p.needs_met for p in closest]
    assert met == sorted(met, reverse=True)
    html = response.content.decode()
    assert "come closest" in html and " misses: " in html


def test_search_and_sort(client, seeded):
    response = client.get("/", {"q": "doxy"})
    assert [p.slug for p in response.context["object_list"]] == ["doxy-me"]


def test_most_recently_checked_sort_puts_the_newest_check_first(client, seeded):
    newest = timezone.localdate()
    Fact.objects.filter(platform__slug="vsee").update(verified_on=newest)
    Fact.objects.exclude(platform__slug="vsee").filter(verified_on__gte=newest).update(
        verified_on=newest - datetime.timedelta(days=1)
    )
    slugs = [p.slug for p in client.get("/", {"sort": "verified"}).context["object_list"]]
    assert slugs[0] == "vsee"
    names = [p.name for p in client.get("/").context["object_list"]]
    assert names[0] != "VSee"  # by name it is not first: the sort did it


@pytest.mark.parametrize(
    "query",
    [{"sort": "sideways"}, {"q": "x" * 500}, {"vendor_only": "perhaps"}],
)
def test_bad_filter_values_get_a_400_with_a_message(client, seeded, query):
    response = client.get("/", query)
    assert response.status_code == 400
    assert "could not be used" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "fragment_id"),
    [
        ("/?need=baa", 'id="results"'),
        ("/compare/?p=zoom&p=webex&diff=1", 'id="comparison"'),
    ],
)
def test_htmx_views_serve_page_and_fragment(client, seeded, url, fragment_id):
    full = client.get(url)
    assert "<html" in full.content.decode()
    assert "HX-Request" in full["Vary"]
    fragment = client.get(url, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and fragment_id in html
    assert "HX-Request" in fragment["Vary"]
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_platform_page_shows_grouped_sourced_facts(client, seeded):
    zoom = Platform.objects.get(slug="zoom")
    response = client.get(zoom.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for group_label in {f.criterion.get_group_display() for f in zoom.facts.all()}:
        assert group_label in html
    assert 'id="source-1"' in html and "Contested" in html
    for incident in zoom.incidents.all():
        for cve in incident.cve_list:
            assert cve in html


def test_platform_page_marks_stale_facts(client, seeded):
    fact = Fact.objects.filter(platform__slug="vsee").first()
    Fact.objects.filter(pk=fact.pk).update(verified_on="2020-01-01")
    html = client.get("/platforms/vsee/").content.decode()
    assert "Stale: checked over 12 months ago" in html


def test_unpublished_or_unknown_platform_is_404(client, seeded):
    Platform.objects.filter(slug="vsee").update(published=False)
    assert client.get("/platforms/vsee/").status_code == 404
    response = client.get("/platforms/nope/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_compare_page_marks_differences_and_hides_equal_rows(client, seeded):
    full = client.get("/compare/", {"p": ["zoom", "theraplatform"]})
    assert full.status_code == 200
    rows = [row for group in full.context["row_groups"] for row in group["items"]]
    differing = [r for r in rows if r["differs"]]
    equal = [r for r in rows if not r["differs"]]
    assert differing and equal
    only = client.get("/compare/", {"p": ["zoom", "theraplatform"], "diff": "1"}).content.decode()
    assert all(r["criterion"].label in only for r in differing)
    assert not any(f'#{r["criterion"].slug}"' in only for r in equal)
    assert "differs" in only


# Comparisons the page refuses, and a word of the message it gives (the exports reuse these).
BAD_COMPARISONS = [
    ({"p": ["zoom", "nope"]}, "No published platform"),
    ({"p": ["zoom"]}, "at least two"),
    ({"p": ["zoom", "webex", "vsee", "doxy-me", "theraplatform"]}, "at most four"),
    ({"p": ["zoom", "zoom"]}, "repeated"),
    ({"p": ["zoom", "webex"], "utm": "x"}, "does not understand"),
    ({"p": ["zoom", "webex"], "diff": "maybe"}, "diff"),
    ({}, "at least two"),
    ({"p": ["zoom", "webex"], "find": "x", "fnd": "y"}, "fnd"),
]


@pytest.mark.parametrize(("query", "message"), BAD_COMPARISONS)
def test_bad_comparisons_get_a_clear_400(client, seeded, query, message):
    response = client.get("/compare/", query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_criteria_page_explains_every_criterion(client, seeded):
    html = client.get("/criteria/").content.decode()
    for criterion in Criterion.objects.all():
        assert f'id="{criterion.slug}"' in html
        assert criterion.label in html


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?need=baa&need=waiting-room&need=browser-join",
        "/?need=baa&need=e2ee&need=free-plan&need=provider-2fa&need=practice-management",
        "/platforms/zoom/",
        "/compare/?p=zoom&p=webex&p=vsee&p=doxy-me",
        "/compare/?p=zoom&p=webex",
        "/compare/?p=zoom&p=webex&find=platform",
        "/criteria/",
        "/platforms/zoom/checklist/",
        "/platforms.csv",
        "/list.csv?need=baa",
        "/list.json",
        "/list.json?need=baa&need=waiting-room&need=browser-join",
        "/?need=baa&need=free-plan&sort=cheapest",
        "/?need=baa&need=e2ee&vendor_only=1&sort=needs",
        "/compare.csv?p=zoom&p=webex&p=vsee&p=doxy-me",
        "/compare.json?p=zoom&p=webex&p=vsee&p=doxy-me&diff=1",
    ],
)
def test_query_count_is_the_same_with_5_and_50_platforms(client, seeded, url):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        # The list's queries that depend on what matched, not on how many platforms
        # there are: a COUNT only when the results fill more than its first page
        # (PlatformListView.paginate_queryset), the closest matches only when none.
        context = response.context or {}
        paginator = context.get("paginator")
        counted = paginator is not None and isinstance(paginator.object_list, QuerySet)
        closest = bool(context.get("needs")) and context.get("total") == 0
        return len(queries) - counted - closest

    small = count_queries()
    create_synthetic_platforms(45)
    assert count_queries() == small


def test_states_are_shown_in_words_and_icons(client, seeded):
    html = client.get("/compare/?p=zoom&p=doxy-me").content.decode()
    for state in State:
        if Fact.objects.filter(platform__slug__in=["zoom", "doxy-me"], state=state).exists():
            assert str(state.label) in html
    assert 'aria-hidden="true">?</span>' in html


def add_choices(html):
    """The slugs offered in the compare page's "Add a platform" select, or the error page's
    picker (checkboxes that are not ticked)."""
    select = re.search(r'<select name="p" id="add-platform">(.*?)</select>', html, re.S)
    if select:
        return re.findall(r'<option value="([^"]+)"', select[1])
    return re.findall(r'<input type="checkbox" name="p" value="([^"]+)" id="pick-[^"]+">', html)


def test_a_small_catalogue_lists_every_platform_to_add(client, seeded):
    html = client.get("/compare/", {"p": ["zoom", "webex"]}).content.decode()
    assert set(add_choices(html)) == set(
        Platform.objects.published()
        .exclude(slug__in=["zoom", "webex"])
        .values_list("slug", flat=True)
    )
    assert 'name="find"' not in html


@pytest.fixture
def big_catalogue(seeded, monkeypatch):
    monkeypatch.setattr(comparison, "ADD_CHOICES", 5)
    create_synthetic_platforms(12)


def test_a_big_catalogue_lists_a_few_and_offers_a_search(client, big_catalogue):
    html = client.get("/compare/", {"p": ["zoom", "webex"]}).content.decode()
    choices = add_choices(html)
    assert len(choices) == 5
    assert choices == sorted(choices, key=lambda slug: Platform.objects.get(slug=slug).name)
    others = Platform.objects.published().exclude(slug__in=["zoom", "webex"]).count()
    assert f"{others} platforms to choose from; the first 5 by name are listed" in html
    assert '<label for="find-platform">Find a platform to add</label>' in html


def test_finding_a_platform_narrows_the_choices_and_keeps_the_comparison(client, big_catalogue):
    response = client.get("/compare/", {"p": ["zoom", "webex"], "diff": "1", "find": " vsee "})
    html = response.content.decode()
    assert response.status_code == 200
    assert add_choices(html) == ["vsee"]
    assert "1 platform matches “vsee”." in html
    assert 'name="find" id="find-platform" value="vsee"' in html
    # The find form carries the comparison and its settings along.
    form = html[
        html.index('class="find-platform"') : html.index(
            "</form>", html.index('class="find-platform"')
        )
    ]
    assert form.count('type="hidden" name="p"') == 2 and 'name="diff" value="1"' in form


def test_finding_nothing_says_so_without_an_empty_select(client, big_catalogue):
    html = client.get(
        "/compare/", {"p": ["zoom", "webex"], "find": "no such thing"}
    ).content.decode()
    assert "0 platforms match “no such thing”." in html
    assert 'id="add-platform"' not in html


def test_the_error_page_picker_is_limited_and_searchable(client, big_catalogue):
    response = client.get("/compare/", {"p": ["zoom"], "find": "Synthetic"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "at least two" in html
    assert len(add_choices(html)) == 5
    assert all(slug.startswith("synthetic-") for slug in add_choices(html))
    assert "12 platforms match “Synthetic”; the first 5 by name are listed" in html


def test_an_overlong_find_is_cut_not_refused(client, big_catalogue):
    response = client.get("/compare/", {"p": ["zoom", "webex"], "find": "x" * 5000})
    assert response.status_code == 200
    assert "x" * 100 + "”" in response.content.decode()
    assert "x" * 101 not in response.content.decode()


def test_the_downloads_leave_the_search_out(client, big_catalogue):
    html = client.get("/compare/", {"p": ["zoom", "webex"], "find": "vsee"}).content.decode()
    assert 'href="/compare.csv?p=zoom&amp;p=webex"' in html
    assert 'href="/compare.json?p=zoom&amp;p=webex"' in html
