import pytest
from django.urls import reverse

from platforms.models import Criterion, Fact, Platform

pytestmark = pytest.mark.django_db


def test_dataset_matches_the_database(client, seeded):
    response = client.get(reverse("platforms:dataset"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["schema"] == 1
    assert [c["slug"] for c in data["criteria"]] == list(
        Criterion.objects.values_list("slug", flat=True)
    )
    assert {p["slug"] for p in data["platforms"]} == set(
        Platform.objects.published().values_list("slug", flat=True)
    )
    for platform in data["platforms"]:
        for slug, cell in platform["facts"].items():
            fact = Fact.objects.get(platform__slug=platform["slug"], criterion__slug=slug)
            assert cell["state"] == fact.state
            assert cell["verified_on"] == fact.verified_on.isoformat()
            assert {s["url"] for s in cell["sources"]} == set(
                fact.sources.values_list("url", flat=True)
            )
            assert cell["state"] == "unknown" or cell["sources"]


def test_dataset_keys_follow_the_documented_schema(client, seeded):
    data = client.get("/platforms.json").json()
    assert set(data) == {"schema", "generated_at", "criteria", "platforms"}
    platform = next(p for p in data["platforms"] if p["slug"] == "zoom")
    assert {"slug", "name", "vendor", "website", "summary", "plans", "facts"} <= set(platform)
    fact = platform["facts"]["baa"]
    assert set(fact) >= {
        "state",
        "plan_scope",
        "note",
        "verified_on",
        "contested",
        "contested_reason",
        "sources",
    }
    incident = platform["incidents"][0]
    assert set(incident) >= {
        "title",
        "cves",
        "kind",
        "affected",
        "disclosed_on",
        "fixed_on",
        "fixed_in",
        "status",
        "mitigation",
        "sources",
    }
    assert isinstance(incident["cves"], list)


def test_unpublished_platforms_are_left_out(client, seeded):
    Platform.objects.filter(slug="vsee").update(published=False)
    slugs = {p["slug"] for p in client.get("/platforms.json").json()["platforms"]}
    assert "vsee" not in slugs and "zoom" in slugs


def test_dataset_query_count_does_not_grow_with_platforms(
    client, seeded, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/platforms.json")
    zoom = Platform.objects.get(slug="zoom")
    for n in range(5):
        copy = Platform.objects.create(
            name=f"Copy {n}",
            slug=f"copy-{n}",
            vendor="x",
            website="https://example.org",
            summary="x",
        )
        for fact in zoom.facts.all():
            sources = list(fact.sources.all())
            fact.pk, fact.platform = None, copy
            fact.save()
            fact.sources.set(sources)
    with CaptureQueriesContext(connection) as after:
        client.get("/platforms.json")
    assert len(after) == len(before)


def test_dataset_refuses_post(client, seeded):
    assert client.post("/platforms.json").status_code == 405


def test_every_sourced_claim_lists_its_sources_in_order(client, seeded):
    data = {p["slug"]: p for p in client.get("/platforms.json").json()["platforms"]}

    def expected(item):
        return [
            {
                "url": s.url,
                "title": s.title,
                "publisher": s.publisher,
                "published_on": s.published_on.isoformat() if s.published_on else None,
                "third_party": s.third_party,
            }
            for s in item.sources.order_by("publisher", "title")
        ]

    checked = 0
    for platform in Platform.objects.published():
        entry = data[platform.slug]
        for fact in platform.facts.select_related("criterion"):
            assert entry["facts"][fact.criterion.slug]["sources"] == expected(fact)
            checked += fact.sources.count() > 1
        paths = {p["connection"]: p for p in entry["encryption_paths"]}
        for path in platform.encryption_paths.all():
            assert paths[path.connection]["sources"] == expected(path)
            assert paths[path.connection]["decrypted_at"] == path.decrypted_at
        incidents = {i["title"]: i for i in entry["incidents"]}
        for incident in platform.incidents.all():
            assert incidents[incident.title]["sources"] == expected(incident)
            assert incidents[incident.title]["cves"] == incident.cve_list
    assert checked  # the seed data has facts with several sources, so order was tested


def test_the_dataset_is_compact_json(client, seeded):
    # The seed data is plain ASCII: a summary with a line break and non-ASCII text.
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary = "Zoom für Ärzte – “Zoom for Healthcare”.\nSecond line."
    zoom.save()
    body = client.get("/platforms.json").content.decode()
    assert "\n" not in body  # no indentation; the summary's break is written as \\n
    assert "Zoom für Ärzte – “Zoom for Healthcare”.\\nSecond line." in body  # not \\u-escaped
