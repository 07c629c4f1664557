"""platforms/prefetch.py: related rows loaded in one query per relation, read as a prefetch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platforms.models import Citation, Fact, PlanState, Platform
from platforms.prefetch import attach_related


@pytest.fixture
def platforms(seeded):
    return list(Platform.objects.order_by("name"))


def test_one_query_per_relation_and_the_same_rows_as_prefetch_related(platforms):
    expected = {
        p.pk: [f.pk for f in p.facts.all()] for p in Platform.objects.prefetch_related("facts")
    }
    with CaptureQueriesContext(connection) as queries:
        facts = attach_related(platforms, "facts")
        attach_related(facts, "citations")
    assert len(queries) == 2
    with CaptureQueriesContext(connection) as reads:
        got = {p.pk: [f.pk for f in p.facts.all()] for p in platforms}
        quotes = [c.quote for p in platforms for f in p.facts.all() for c in f.citations.all()]
        owners = {f.platform is p for p in platforms for f in p.facts.all()}
    assert got == expected
    assert len(quotes) == Citation.objects.filter(fact__isnull=False).count()
    assert owners == {True}  # each row's foreign key points at its object, no query
    assert len(reads) == 0


def test_rows_keep_the_querysets_order_and_to_attr_gives_a_list(platforms):
    facts = attach_related(
        platforms, "facts", Fact.objects.order_by("-criterion__order"), to_attr="loaded"
    )
    assert facts
    for platform in platforms:
        orders = [f.criterion.order for f in platform.loaded]
        assert orders == sorted(orders, reverse=True)


def test_filtering_an_attached_relation_still_reads_only_that_objects_rows(platforms):
    facts = attach_related(platforms, "facts")
    attach_related(facts, "plan_states")
    with_overrides = [f for f in facts if f.plan_states.all()]
    assert with_overrides, "the seed has per-plan states"
    fact = with_overrides[0]
    # A query beyond the loaded rows builds the relation's own filter: this fact's only.
    assert set(fact.plan_states.filter(pk__gt=0)) == set(PlanState.objects.filter(fact=fact))
    assert fact.plan_states.count() == PlanState.objects.filter(fact=fact).count()
    assert PlanState.objects.count() > fact.plan_states.filter(pk__gt=0).count()


def test_objects_without_rows_read_an_empty_relation_and_only_reverse_keys_are_accepted(
    platforms,
):
    bare = Platform.objects.create(name="Bare", slug="bare", vendor="Nobody")
    attach_related([bare], "facts")
    with CaptureQueriesContext(connection) as reads:
        assert list(bare.facts.all()) == []
    assert len(reads) == 0
    assert attach_related([], "facts") == []
    with pytest.raises(TypeError):
        attach_related([Fact.objects.first()], "platform")  # a forward key
