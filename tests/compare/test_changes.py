"""The public change log and its Atom feed."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platforms.models import Fact, Plan, PlanState, Platform
from tests.alerts.helpers import a_plans_own_state, edit_plan_state
from tests.alerts.helpers import edit_state as set_state
from tests.platforms.admin_forms import form_data, staff_client

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    # Our own server's response in a test, not untrusted input.
    return ET.fromstring(response.content)  # noqa: S314


@pytest.fixture
def editor(seeded):
    return staff_client("secret-editor")


def rows(html):
    return html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""


def test_an_edited_state_shows_as_old_to_new_without_the_editor(client, editor):
    admin, user = editor
    fact = Fact.objects.select_related("platform", "criterion").filter(state="unknown").first()
    set_state(admin, fact, "partial")
    response = client.get("/changes/")
    assert response.status_code == 200
    html = response.content.decode()
    table = rows(html)
    assert table.count("<tr") == 1  # the seed itself is not a change
    assert fact.platform.name in table and fact.criterion.label in table
    assert (
        '"Before">Unknown</td>' in table
        and '"After"><span aria-hidden="true">→</span> Partly</td>' in table
    )
    assert user.username not in html and user.email not in html


def test_edits_that_keep_the_state_are_not_listed(client, editor):
    admin, _ = editor
    fact = Fact.objects.filter(sources__isnull=False).first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(admin.get(url))
    data["note"] = "Only the note changed."
    assert admin.post(url, data).status_code == 302
    assert "<tr" not in rows(client.get("/changes/").content.decode())


def test_filter_by_platform_and_reject_unknown_slugs(client, editor):
    admin, _ = editor
    zoom_fact = Fact.objects.filter(platform__slug="zoom", state="unknown").first()
    webex_fact = Fact.objects.filter(platform__slug="webex", state="unknown").first()
    set_state(admin, zoom_fact, "yes")
    set_state(admin, webex_fact, "no")
    table = rows(client.get("/changes/", {"platform": "zoom"}).content.decode())
    assert table.count("<tr") == 1 and "Zoom" in table and "Webex" not in table
    for url in ["/changes/", "/changes/feed/"]:
        response = client.get(url, {"platform": "no-such-platform"})
        assert response.status_code == 400
        assert "No published platform has the slug" in response.content.decode()


def test_unpublished_platforms_changes_are_not_shown(client, editor):
    admin, _ = editor
    fact = Fact.objects.filter(platform__slug="zoom", state="unknown").first()
    set_state(admin, fact, "yes")
    Platform.objects.filter(slug="zoom").update(published=False)
    assert "<tr" not in rows(client.get("/changes/").content.decode())
    assert client.get("/changes/", {"platform": "zoom"}).status_code == 400


def test_the_feed_is_atom_without_editor_names(client, editor):
    admin, user = editor
    facts = list(Fact.objects.filter(state="unknown")[:3])
    for fact in facts:
        set_state(admin, fact, "yes")
    response = client.get("/changes/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert user.username not in body and user.email not in body
    feed = parse(response)
    assert feed.tag == f"{ATOM}feed"
    for required in ["id", "title", "updated", "author"]:
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    ids = {entry.find(f"{ATOM}id").text for entry in entries}
    assert len(ids) == 3
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert all("Unknown → Yes" in title for title in titles)
    for entry in entries:
        assert entry.find(f"{ATOM}updated") is not None
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/platforms/")

    one = client.get("/changes/feed/", {"platform": facts[0].platform.slug})
    titles = [e.find(f"{ATOM}title").text for e in parse(one).iter(f"{ATOM}entry")]
    assert titles and all(t.startswith(facts[0].platform.name) for t in titles)


def test_query_count_does_not_grow_with_changes(client, editor):
    admin, _ = editor
    unknown = list(Fact.objects.filter(state="unknown"))
    set_state(admin, unknown[0], "yes")
    counts = []
    for url in ["/changes/", "/changes/feed/"]:
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        counts.append(len(few))
    for fact in unknown[1:8]:
        set_state(admin, fact, "no")
    for own in PlanState.objects.select_related("fact", "plan").exclude(state="no")[:4]:
        edit_plan_state(admin, own.fact, own.plan, "no")
    for url, before in zip(["/changes/", "/changes/feed/"], counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.status_code == 200
        assert len(many) == before, url


def assert_the_one_change_is(client, plan, before, after):
    """The change log lists one change: `plan`'s state from `before` to `after`."""
    table = rows(client.get("/changes/").content.decode())
    assert table.count("<tr") == 1 and f"</a> on {plan.name}</td>" in table
    assert f'"Before">{before}</td>' in table
    assert f'"After"><span aria-hidden="true">→</span> {after}</td>' in table
    return table


def a_plan_following_the_fact(fact):
    """A plan of the fact's platform without a state of its own on the fact."""
    return Plan.objects.filter(platform=fact.platform).exclude(fact_states__fact=fact).first()


def test_a_plans_own_state_changing_is_listed_with_the_plan(client, editor):
    admin, _ = editor
    own, fact, plan = a_plans_own_state(state="unknown", fact__state="yes")
    edit_plan_state(admin, fact, plan, "no")
    table = assert_the_one_change_is(client, plan, "Unknown", "No")
    assert f'#fact-{fact.criterion.slug}">{fact.criterion.label}</a> on {plan.name}</td>' in table
    [entry] = parse(client.get("/changes/feed/")).findall(f"{ATOM}entry")
    title = f"{fact.platform.name} · {fact.criterion.label}: Unknown → No on {plan.name}"
    assert entry.find(f"{ATOM}title").text == title
    assert (
        entry.find(f"{ATOM}link")
        .get("href")
        .endswith(f"/platforms/{fact.platform.slug}/#fact-{fact.criterion.slug}")
    )
    other = Platform.objects.published().exclude(pk=fact.platform.pk).first()
    assert "<tr" not in rows(client.get("/changes/", {"platform": other.slug}).content.decode())
    mine = rows(client.get("/changes/", {"platform": fact.platform.slug}).content.decode())
    assert mine.count("<tr") == 1 and plan.name in mine


def test_a_plan_given_its_own_state_changes_from_the_platform_wide_one(client, editor):
    admin, _ = editor
    fact = Fact.objects.filter(platform__slug="zoom", state="yes").first()
    plan = a_plan_following_the_fact(fact)
    edit_plan_state(admin, fact, plan, "yes")  # the same as the fact's: nothing changed
    assert "<tr" not in rows(client.get("/changes/").content.decode())
    other = a_plan_following_the_fact(fact)
    edit_plan_state(admin, fact, other, "partial")
    assert_the_one_change_is(client, other, "Yes", "Partly")


def test_a_plan_whose_own_state_is_removed_changes_back_to_the_platform_wide_one(client, editor):
    admin, _ = editor
    own, fact, plan = a_plans_own_state(state="unknown", fact__state="yes")
    edit_plan_state(admin, fact, plan, None)
    assert not PlanState.objects.filter(pk=own.pk).exists()
    assert_the_one_change_is(client, plan, "Unknown", "Yes")


def test_fact_and_plan_changes_are_listed_together_each_with_its_own_id(client, editor):
    admin, _ = editor
    own, fact, plan = a_plans_own_state(state="unknown", fact__state="yes")
    set_state(admin, fact, "partial")
    edit_plan_state(admin, fact, plan, "no")
    html = client.get("/changes/").content.decode()
    ids = re.findall(r'<tr id="(change-[^"]+)"', rows(html))
    assert len(ids) == len(set(ids)) == 2
    # Newest first: the plan's change, then the fact's platform-wide one.
    assert re.search(rf"on {re.escape(plan.name)}</td>.*Yes</td>.*Partly</td>", rows(html), re.S)
    entries = parse(client.get("/changes/feed/")).findall(f"{ATOM}entry")
    assert len({entry.find(f"{ATOM}id").text for entry in entries}) == 2


def test_changes_on_a_deleted_plan_are_no_longer_listed(client, editor):
    admin, _ = editor
    own, fact, plan = a_plans_own_state(state="unknown", fact__state="yes")
    edit_plan_state(admin, fact, plan, "no")
    plan.delete()
    assert client.get("/changes/").status_code == 200
    assert "<tr" not in rows(client.get("/changes/").content.decode())
    assert client.get("/changes/feed/").status_code == 200


def test_header_links_to_the_change_log(client, seeded):
    html = client.get("/criteria/").content.decode()
    assert 'href="/changes/"' in html
