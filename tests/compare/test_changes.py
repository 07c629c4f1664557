"""The public change log and its Atom feed."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platforms.models import Fact, Platform
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
    for url, before in zip(["/changes/", "/changes/feed/"], counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.status_code == 200
        assert len(many) == before, url


def test_header_links_to_the_change_log(client, seeded):
    html = client.get("/criteria/").content.decode()
    assert 'href="/changes/"' in html
