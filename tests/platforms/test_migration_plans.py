"""Migration 0005 carries an existing database over to plans and evidence (not a reseed)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("platforms", "0004_fact_need_lookup_index")]
AFTER = [("platforms", "0005_plans_and_evidence")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.slow  # migrates back to 0004 and forward again
@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_citations_quotes_kinds_and_per_plan_states():
    old = migrate(BEFORE)
    Source, Platform = old.get_model("platforms", "Source"), old.get_model("platforms", "Platform")
    Criterion, Fact = old.get_model("platforms", "Criterion"), old.get_model("platforms", "Fact")
    Plan = old.get_model("platforms", "Plan")
    day = datetime.date(2026, 11, 1)
    # A row of the seed as it stood (its quote is in 0005_evidence.json) and one the
    # frozen data knows nothing of.
    baa_page = Source.objects.create(
        url="https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0067751",
        title="HIPAA Business Associate Agreement (BAA)",
        publisher="Zoom Support",
        accessed_on=day,
        third_party=False,
    )
    blog = Source.objects.create(
        url="https://example.org/a-review",
        title="A review",
        publisher="A blog",
        accessed_on=day,
        third_party=True,
    )
    zoom = Platform.objects.create(
        name="Zoom", slug="zoom", vendor="Zoom", website="https://zoom.us", summary="."
    )
    baa = Criterion.objects.create(
        slug="baa",
        label="BAA",
        group="compliance",
        definition=".",
        why_it_matters=".",
        recommended="yes",
        need_label="BAA offered",
    )
    free_plan = Criterion.objects.create(
        slug="free-plan",
        label="Free plan",
        group="practice",
        definition=".",
        why_it_matters=".",
        recommended="yes",
        need_label="Free plan",
    )
    fact = Fact.objects.create(platform=zoom, criterion=baa, state="yes", verified_on=day)
    fact.sources.set([baa_page, blog])
    Plan.objects.create(platform=zoom, name="Free", free=True, price_note="Free", baa="unknown")
    Plan.objects.create(platform=zoom, name="Pro", free=False, baa="yes")

    new = migrate(AFTER)
    Citation = new.get_model("platforms", "Citation")
    PlanState = new.get_model("platforms", "PlanState")
    Source = new.get_model("platforms", "Source")
    citations = {c.source.url: c for c in Citation.objects.select_related("source")}
    assert set(citations) == {baa_page.url, blog.url}
    assert "enters into BAAs" in citations[baa_page.url].quote
    assert citations[blog.url].quote == ""  # not in the dossiers: flagged for an editor
    assert citations[baa_page.url].seen_on == day
    assert dict(Source.objects.values_list("url", "kind")) == {
        baa_page.url: "vendor",
        blog.url: "third_party",
    }
    plans = new.get_model("platforms", "Plan").objects.order_by("slug")
    assert [(p.slug, p.note) for p in plans] == [("free", "Free"), ("pro", "")]
    # The free plan's BAA was unknown while the platform's is yes: a per-plan state.
    assert list(PlanState.objects.values_list("plan__slug", "state")) == [("free", "unknown")]
    assert new.get_model("platforms", "Criterion").objects.get(pk=free_plan.pk).follows_free_plans

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
