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


def test_many_to_many_rows_in_one_query_as_prefetch_related_reads_them(platforms):
    from platforms.models import EncryptionPath
    from platforms.prefetch import attach_many

    paths = list(EncryptionPath.objects.order_by("pk"))
    expected = {
        p.pk: [s.pk for s in p.sources.all()]
        for p in EncryptionPath.objects.prefetch_related("sources").order_by("pk")
    }
    assert any(len(ids) > 1 for ids in expected.values()), "the seed has paths citing two"
    with CaptureQueriesContext(connection) as queries:
        loaded = attach_many(paths, "sources")
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as reads:
        got = {p.pk: [s.pk for s in p.sources.all()] for p in paths}
    assert got == expected and len(reads) == 0
    assert len(loaded) == len({pk for ids in expected.values() for pk in ids})
    # Beyond the loaded rows, the relation's own filter: this path's sources only.
    path = next(p for p in paths if len(expected[p.pk]) > 1)
    assert {s.pk for s in path.sources.filter(pk__gt=0)} == set(expected[path.pk])
    assert attach_many([], "sources") == []
    with pytest.raises(TypeError):
        attach_many(paths, "platform")


def test_the_attached_querysets_build_their_sql_only_when_read(platforms):
    from platforms.prefetch import LAZY

    facts = [f for f in attach_related(platforms, "facts") if f.state != "unknown"]
    attach_related(facts, "citations")
    fact, other_fact = facts[0], facts[1]
    cached, other = fact.citations.all(), other_fact.citations.all()
    assert cached.__dict__["_built_query"] is LAZY
    assert list(cached) == list(Citation.objects.filter(fact=fact))
    assert cached.__dict__["_built_query"] is LAZY  # reading the rows needs no SQL
    # Two objects' querysets never share a query: filtering one leaves the other's rows.
    assert set(cached.filter(pk__gt=0)) == set(Citation.objects.filter(fact=fact))
    assert cached.__dict__["_built_query"] is not LAZY
    assert set(other.filter(pk__gt=0)) == set(Citation.objects.filter(fact=other_fact))


def same_instances(got, expected, related=()):
    assert [type(r) for r in got] == [type(r) for r in expected]
    for mine, django in zip(got, expected, strict=True):
        assert {k: v for k, v in vars(mine).items() if not k.startswith("_")} == {
            k: v for k, v in vars(django).items() if not k.startswith("_")
        }
        for name in related:  # select_related objects, already loaded
            assert getattr(mine, name).__dict__.keys() >= {"id"}
            assert (
                vars(getattr(mine, name)).items()
                >= {
                    k: v for k, v in vars(getattr(django, name)).items() if not k.startswith("_")
                }.items()
            )


@pytest.mark.parametrize("count", [1, 2, 7])
def test_rows_run_the_sql_django_writes_and_build_the_same_instances(platforms, count):
    from corrections.models import annotate_open_corrections
    from monitoring.models import annotate_needs_review
    from platforms.prefetch import Rows

    # Annotations and a select_related object, as the pages' rows have.
    evidence_facts = Rows(
        lambda: annotate_open_corrections(
            annotate_needs_review(Fact.objects.select_related("criterion"))
        )
    )
    field = Fact._meta.get_field("platform")
    keys = [p.pk for p in platforms[:count]]
    django = list(evidence_facts.build().order_by("criterion__order").filter(platform_id__in=keys))
    assert django and any(f.needs_review is not None for f in django)
    for _ in range(2):  # compiled, then kept
        got = evidence_facts.load(field, set(keys))
        same_instances(got, django, related=["criterion"])
        assert [f.open_corrections for f in got] == [f.open_corrections for f in django]
        # Facts of one criterion share its instance, built once per query.
        by_id = {}
        for fact in got:
            assert by_id.setdefault(fact.criterion_id, fact.criterion) is fact.criterion
        assert len(by_id) < len(got) or count == 1
    compiled = next(
        c for key, c in evidence_facts.compiled.items() if key[1:3] == ("platform_id", count)
    )
    # The kept SQL with these keys is what Django writes for them.
    params = list(compiled.params)
    for position, key in zip(compiled.positions, sorted(keys), strict=True):
        params[position] = key
    expected = (
        evidence_facts.build()
        .order_by("criterion__order")
        .filter(platform_id__in=sorted(keys))
        .query.sql_with_params()
    )
    assert (compiled.sql, tuple(params)) == (expected[0], tuple(expected[1]))
    with CaptureQueriesContext(connection) as queries:
        Rows(lambda: Fact.objects.all()).load(field, set(keys))
    assert len(queries) == 1


def test_rows_with_arguments_keep_one_sql_per_argument(platforms):
    from compare.presentation import SHOWN_FACTS

    field = Fact._meta.get_field("platform")
    keys = {p.pk for p in platforms}
    for slugs in [("baa",), ("baa", "e2ee"), ("baa",)]:
        got = SHOWN_FACTS.bind(slugs).load(field, keys)
        expected = list(
            Fact.objects.filter(platform_id__in=keys, criterion__slug__in=slugs).order_by(
                "criterion__order"
            )
        )
        assert [f.pk for f in got] == [f.pk for f in expected]
        assert {f.criterion.slug for f in got} == set(slugs)


def test_querysets_django_must_load_itself_are_loaded_by_django(platforms):
    from platforms.prefetch import Rows

    field = Fact._meta.get_field("platform")
    keys = {p.pk for p in platforms}
    prefetching = Rows(lambda: Fact.objects.prefetch_related("citations"))
    got = prefetching.load(field, keys)
    assert got and not prefetching.compiled
    assert all("citations" in f._prefetched_objects_cache for f in got)
    values = Rows(lambda: Fact.objects.values("pk"))
    assert values.load(field, keys)[0].keys() == {"pk"} and not values.compiled


def test_loaded_reads_the_attached_rows_and_else_the_database(platforms):
    from platforms.models import loaded

    facts = attach_related(platforms, "facts")
    attach_related(facts, "citations")
    fact = next(f for f in facts if f.citations.all())
    with CaptureQueriesContext(connection) as reads:
        rows = loaded(fact, "citations")
    assert len(reads) == 0 and list(rows) == list(fact.citations.all())
    fresh = Fact.objects.get(pk=fact.pk)  # nothing attached: the database answers
    with CaptureQueriesContext(connection) as reads:
        assert [c.pk for c in loaded(fresh, "citations")] == [c.pk for c in rows]
    assert len(reads) == 1


def test_every_criterion_read_whole_and_handed_to_facts(platforms):
    from platforms.models import Criterion, all_criteria, attach_criteria

    assert [c.pk for c in all_criteria()] == [c.pk for c in Criterion.objects.all()]
    facts = attach_related(platforms, "facts")
    with CaptureQueriesContext(connection) as queries:
        attach_criteria(facts)
        names = {f.pk: f.criterion.slug for f in facts}
    assert len(queries) == 1  # the criteria, once: no query per fact
    assert names == dict(Fact.objects.values_list("pk", "criterion__slug"))
