import datetime
import json

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from platforms.dataset import SCHEMA_VERSION, build_dataset, fact_sources
from platforms.models import Citation, Criterion, Fact, PlanState, Platform, Source
from platforms.needs import recompute_need_masks

pytestmark = pytest.mark.django_db


def test_dataset_matches_the_database(client, seeded):
    response = client.get(reverse("platforms:dataset"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["schema"] == SCHEMA_VERSION == 3
    assert [c["slug"] for c in data["criteria"]] == list(
        Criterion.objects.values_list("slug", flat=True)
    )
    assert {p["slug"] for p in data["platforms"]} == set(
        Platform.objects.published().values_list("slug", flat=True)
    )
    unsourced_claims = set(Fact.objects.unsourced_claims().values_list("pk", flat=True))
    for platform in data["platforms"]:
        for slug, cell in platform["facts"].items():
            fact = Fact.objects.get(platform__slug=platform["slug"], criterion__slug=slug)
            assert cell["state"] == fact.state
            assert cell["verified_on"] == cell["checked_on"] == fact.verified_on.isoformat()
            assert {(s["url"], s["quote"]) for s in fact_sources(data, cell)} == set(
                fact.citations.values_list("source__url", "quote")
            )
            # A claim in the export carries a quoted citation, as the site's one rule says.
            quoted = any(c["quote"] for c in cell["sources"])
            assert (cell["state"] != "unknown" and not quoted) == (fact.pk in unsourced_claims)
            assert cell["state"] == "unknown" or quoted


def test_dataset_keys_follow_the_documented_schema(client, seeded):
    data = client.get("/platforms.json").json()
    assert set(data) == {"schema", "generated_at", "criteria", "sources", "platforms"}
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


def test_generated_at_is_when_the_data_last_changed(seeded, monkeypatch):
    first = build_dataset()["generated_at"]
    later = timezone.now() + datetime.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert build_dataset()["generated_at"] == first  # rebuilt elsewhere later: the same bytes
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary += " Edited."
    zoom.save()
    assert build_dataset()["generated_at"] == later.isoformat(timespec="seconds")


def copy_platform(platform, slug):
    """A new published platform with everything `platform` has: plans with their cited
    prices, facts with their citations and per-plan states, encryption paths and incidents
    with their sources. Rows are bulk-inserted (one query per table, not a mask recompute per
    row), then the copy's masks computed once."""
    copy = Platform.objects.create(
        name=f"Copy {slug}", slug=slug, vendor="x", website="https://example.org", summary="x"
    )

    def copied(rows, **changes):
        originals = list(rows)
        clones = []
        for row in originals:
            clone = type(row).objects.get(pk=row.pk)
            clone.pk = None
            for name, value in changes.items():
                setattr(clone, name, value(row) if callable(value) else value)
            clones.append(clone)
        created = type(originals[0]).objects.bulk_create(clones) if originals else []
        return dict(zip([row.pk for row in originals], created, strict=True))

    plans = copied(platform.plans.all(), platform=copy)
    facts = copied(platform.facts.all(), platform=copy)
    copied(Citation.objects.filter(plan__in=plans), plan=lambda c: plans[c.plan_id])
    copied(Citation.objects.filter(fact__in=facts), fact=lambda c: facts[c.fact_id])
    copied(
        PlanState.objects.filter(fact__in=facts),
        fact=lambda ps: facts[ps.fact_id],
        plan=lambda ps: plans[ps.plan_id],
    )
    for related in (platform.encryption_paths, platform.incidents):
        originals = list(related.all())
        for original, clone in zip(
            originals, copied(originals, platform=copy).values(), strict=True
        ):
            clone.sources.set(original.sources.all())
    recompute_need_masks([copy.pk])
    return copy


def test_dataset_query_count_does_not_grow_with_platforms(client, seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        small = client.get("/platforms.json").json()
    zoom = Platform.objects.get(slug="zoom")
    assert zoom.plans.exists() and zoom.incidents.exists()
    assert Citation.objects.filter(plan__platform=zoom).exists()
    assert PlanState.objects.filter(fact__platform=zoom).exists()
    for n in range(2):
        copy_platform(zoom, f"copy-{n}")
    with CaptureQueriesContext(connection) as after:
        large = client.get("/platforms.json").json()
    assert len(large["platforms"]) == len(small["platforms"]) + 2
    copied = next(p for p in large["platforms"] if p["slug"] == "copy-0")
    original = next(p for p in large["platforms"] if p["slug"] == "zoom")
    for key in ["plans", "facts", "encryption_paths", "incidents"]:
        assert copied[key] == original[key], key
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


def test_dataset_refuses_post(client, seeded):
    assert client.post("/platforms.json").status_code == 405


def source_dict(s):
    return {
        "url": s.url,
        "title": s.title,
        "publisher": s.publisher,
        "published_on": s.published_on.isoformat() if s.published_on else None,
        "accessed_on": s.accessed_on.isoformat(),
        "kind": s.kind,
        "third_party": s.third_party,
    }


def test_every_sourced_claim_lists_its_sources_in_order(client, seeded):
    dataset = client.get("/platforms.json").json()
    data = {p["slug"]: p for p in dataset["platforms"]}
    ids = {source["url"]: source_id for source_id, source in dataset["sources"].items()}

    def expected(item):
        return [ids[s.url] for s in item.sources.order_by("publisher", "title")]

    def expected_citations(owner):
        """A fact's or plan's sources are its citations: each its source's id with the
        citation's quote and date seen."""
        return [
            {"source": ids[c.source.url], "quote": c.quote, "seen_on": c.seen_on.isoformat()}
            for c in owner.citations.select_related("source").order_by(
                "source__publisher", "source__title"
            )
        ]

    checked = 0
    for platform in Platform.objects.published():
        entry = data[platform.slug]
        for fact in platform.facts.select_related("criterion"):
            assert entry["facts"][fact.criterion.slug]["sources"] == expected_citations(fact)
            checked += fact.citations.count() > 1
        plans = {p["slug"]: p for p in entry["plans"]}
        for plan in platform.plans.all():
            assert plans[plan.slug]["sources"] == expected_citations(plan)
        paths = {p["connection"]: p for p in entry["encryption_paths"]}
        for path in platform.encryption_paths.all():
            assert paths[path.connection]["sources"] == expected(path)
            assert paths[path.connection]["decrypted_at"] == path.decrypted_at
        incidents = {i["title"]: i for i in entry["incidents"]}
        for incident in platform.incidents.all():
            assert incidents[incident.title]["sources"] == expected(incident)
            assert incidents[incident.title]["cves"] == incident.cve_list
    assert checked  # the seed data has facts with several sources, so order was tested


def test_each_cited_source_is_written_once(client, seeded):
    """Schema 3: the `sources` table holds every source a published row cites, once, in the
    order facts list them; the rows name them by id."""
    Source.objects.create(
        url="https://example.org/cited-by-nothing",
        title="A page nothing cites",
        publisher="Example",
        accessed_on=datetime.date(2026, 1, 1),
        kind=Source.Kind.VENDOR,
    )
    dataset = client.get("/platforms.json").json()
    cited = Source.objects.filter(
        Q(citations__fact__platform__published=True)
        | Q(citations__plan__platform__published=True)
        | Q(encryption_paths__platform__published=True)
        | Q(incidents__platform__published=True)
    ).distinct()
    assert "https://example.org/cited-by-nothing" not in {
        s["url"] for s in dataset["sources"].values()
    }
    assert list(dataset["sources"].values()) == [
        source_dict(s) for s in cited.order_by("publisher", "title", "pk")
    ]
    referenced = set()
    for platform in dataset["platforms"]:
        for item in [*platform["plans"], *platform["facts"].values()]:
            referenced.update(c["source"] for c in item["sources"])
        for item in [*platform["encryption_paths"], *platform["incidents"]]:
            referenced.update(item["sources"])
    assert referenced == set(dataset["sources"])


def test_fact_sources_gives_back_the_schema_2_citations(seeded):
    """What /platforms.csv and Python consumers read: a citation with its source's fields."""
    dataset = build_dataset()
    zoom = next(p for p in dataset["platforms"] if p["slug"] == "zoom")
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    assert fact_sources(dataset, zoom["facts"]["baa"]) == [
        {**source_dict(c.source), "quote": c.quote, "seen_on": c.seen_on.isoformat()}
        for c in fact.citations.select_related("source").order_by(
            "source__publisher", "source__title"
        )
    ]
    assert zoom["facts"]["baa"]["sources"]


def test_source_ids_are_the_same_in_a_subset(seeded):
    """An id is a source's place among all sources, so the list and compare exports (a few
    platforms) name a source as /platforms.json does."""
    whole = build_dataset()
    part = build_dataset(Platform.objects.filter(slug__in=["zoom", "doxy-me"]))
    assert part["sources"] and len(part["sources"]) < len(whole["sources"])
    assert all(whole["sources"][key] == source for key, source in part["sources"].items())


def test_the_dataset_is_compact_json(client, seeded):
    # The seed data is plain ASCII: a summary with a line break and non-ASCII text.
    zoom = Platform.objects.get(slug="zoom")
    zoom.summary = "Zoom für Ärzte – “Zoom for Healthcare”.\nSecond line."
    zoom.save()
    body = client.get("/platforms.json").content.decode()
    assert "\n" not in body  # no indentation; the summary's break is written as \\n
    assert "Zoom für Ärzte – “Zoom for Healthcare”.\\nSecond line." in body  # not \\u-escaped
    assert body.startswith('{"schema":3,"generated_at":')  # no spaces after , and :
    # orjson writes exactly what the standard library's compact, non-ASCII encoder would.
    expected = json.dumps(build_dataset(), ensure_ascii=False, separators=(",", ":"))
    assert body == expected
