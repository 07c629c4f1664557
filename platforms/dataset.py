"""The published dataset as plain data: the documented, versioned `/platforms.json` format.

Schema 3 (see README.md, "Machine-readable dataset"). Add keys freely; renaming or removing
one, or changing a value's meaning, bumps SCHEMA_VERSION. Schema 2 added plans with prices,
each fact's state on every plan (`by_plan`), evidence strength, the two dates (`checked_on`,
`evidence_from`) and each citation's kind, quote and date seen. Schema 3 writes each source
once, in a top-level `sources` table keyed by an id, and a citation names its source by that
id beside its own quote and date seen: schema 2 repeated the whole source under every fact
that cited it, which made up most of the document (90 MB at 5,000 platforms).
`fact_sources()` gives a fact's citations back in schema 2's shape.

The dataset is built from `values_list()` rows rather than model instances, in one query per
table whatever the catalogue's size; model instances for every fact and source took tens of
seconds at 5,000 platforms (140,000 facts).
"""

import contextlib
import functools
import gc
from collections import defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import CharField, F
from django.db.models.functions import Cast
from django.utils import timezone

from .history import last_changed_at
from .models import (
    Citation,
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    PlanState,
    Platform,
    Source,
    evidence_strength,
    split_cves,
    state_on_plan,
)

SCHEMA_VERSION = 3

PLATFORM_FIELDS = ["slug", "name", "vendor", "website", "summary", "reviewed_on"]
CRITERION_FIELDS = [
    "slug",
    "label",
    "group",
    "definition",
    "why_it_matters",
    "recommended",
    "follows_free_plans",
]
PLAN_FIELDS = ["slug", "name", "free", "trial", "note"]
SOURCE_FIELDS = ["url", "title", "publisher", "published_on", "accessed_on", "kind"]
SOURCED_FIELDS = ["note", "verified_on", "contested", "contested_reason"]
PATH_FIELDS = ["connection", "transport", "decrypted_at", "key_holder", *SOURCED_FIELDS]
INCIDENT_FIELDS = [
    "title",
    "cves",
    "kind",
    "affected",
    "disclosed_on",
    "fixed_on",
    "fixed_in",
    "status",
    "mitigation",
]
DATE_FIELDS = {
    "reviewed_on",
    "verified_on",
    "published_on",
    "accessed_on",
    "disclosed_on",
    "fixed_on",
}


@functools.lru_cache(maxsize=4096)
def iso(value):
    # Cached: a catalogue has a few thousand distinct dates and writes them 300,000 times.
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def date_text(field):
    """A date column of the two biggest queries (facts, citations) as it is read for the
    document. SQLite stores a date as its ISO text, and Django would parse each into a date
    for `iso` to write back: 280,000 of them at 5,000 platforms, a sixth of the build, so
    there the text is read as it is. PostgreSQL's driver reads dates in C: no gain there."""
    if connection.vendor == "sqlite":
        return Cast(field, output_field=CharField())
    return F(field)


def driver_rows(queryset):
    """The rows of a values_list() queryset as the database driver returns them: the two
    biggest queries (140,000 facts and as many citations at 5,000 platforms) skip Django's
    per-row iteration, a quarter of their time. Only for text, integer and `date_text`
    columns, which Django converts no further, and booleans, which SQLite returns as 0 or 1
    for the caller to read with `bool`."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. filtered by an empty list of platforms
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def plain_rows(queryset, fields, *extra):
    """`fields` of each row as the dataset writes them (in order, dates as ISO text), with
    the `extra` values (ids, lookups) beside: a list of (dict, extra values) pairs."""
    dates = [name for name in fields if name in DATE_FIELDS]
    width = len(fields)
    rows = []
    for row in queryset.values_list(*fields, *extra):
        item = dict(zip(fields, row[:width], strict=True))
        for name in dates:
            item[name] = iso(item[name])
        rows.append((item, row[width:]))
    return rows


class SourceTable:
    """Every source once, under an id: its place ("1", "2", …) among all sources in the order
    facts list them (publisher, then title). The ids depend on the data only, not on database
    row ids, so a restored backup gives the same document, and a source has the same id in
    every export made from the same data; `rows` holds only the sources cited."""

    def __init__(self):
        ordered = Source.objects.order_by("publisher", "title", "pk")
        self.ids, self.all, self.cited = {}, {}, set()
        for place, (source, (pk,)) in enumerate(plain_rows(ordered, SOURCE_FIELDS, "pk"), 1):
            source["third_party"] = source["kind"] != Source.Kind.VENDOR  # as in schema 1
            self.ids[pk] = str(place)
            self.all[str(place)] = source

    def cite(self, pk):
        self.cited.add(pk)
        return self.ids[pk]

    @property
    def rows(self):
        return {key: self.all[key] for pk, key in self.ids.items() if pk in self.cited}


def in_source_order(items, source_id=lambda source_id: source_id):
    """Sort a few citations or source ids in place by their source's place."""
    if len(items) > 1:
        items.sort(key=lambda item: int(source_id(item)))
    return items


def citations_of(owner, platforms, sources):
    """For each fact (owner "fact") or plan ("plan") on these platforms, its citations: the
    source's id with the citation's quote and date seen, in the sources' order."""
    rows = driver_rows(
        Citation.objects.filter(**{f"{owner}__platform__in": platforms})
        .order_by()
        .values_list(f"{owner}_id", "source_id", "quote", date_text("seen_on"))
    )
    cited, ids, cited_pks = defaultdict(list), sources.ids, set()
    for owner_id, source_pk, quote, seen_on in rows:
        cited[owner_id].append({"source": ids[source_pk], "quote": quote, "seen_on": iso(seen_on)})
        cited_pks.add(source_pk)
    sources.cited |= cited_pks
    for citations in cited.values():
        if len(citations) > 1:  # most cite one source
            in_source_order(citations, source_id=lambda citation: citation["source"])
    return cited


def source_ids_of(model, platforms, sources):
    """For each row of `model` (encryption paths, incidents) on these platforms, the ids of
    the sources it cites, in the sources' order."""
    through = model.sources.through
    owner = model._meta.model_name  # the through table's column is named after the model
    rows = through.objects.filter(**{f"{owner}__platform__in": platforms}).values_list(
        f"{owner}_id", "source_id"
    )
    cited = defaultdict(list)
    for owner_id, source_pk in rows:
        cited[owner_id].append(sources.cite(source_pk))
    for ids in cited.values():
        in_source_order(ids)
    return cited


def price_of(amount, currency, period):
    if amount is None:
        return None
    return {
        "amount": str(amount.normalize()) if amount % 1 else int(amount),
        "currency": currency,
        "period": period,
    }


def plans_by_platform(platforms, sources):
    """Each platform's plans as dataset dicts, and (slug, free, pk) of each for `by_plan`."""
    citations = citations_of("plan", platforms, sources)
    plans, keys = defaultdict(list), defaultdict(list)
    queryset = Plan.objects.filter(platform__in=platforms).order_by("order", "-free", "name")
    extra = ("pk", "platform_id", "price_amount", "price_currency", "price_period")
    for plan, (pk, platform_id, *price) in plain_rows(queryset, PLAN_FIELDS, *extra):
        plan["price"] = price_of(*price)
        plan["sources"] = citations.get(pk, [])
        plans[platform_id].append(plan)
        keys[platform_id].append((plan["slug"], plan["free"], plan["trial"], pk))
    return plans, keys


def facts_by_platform(platforms, sources, plan_keys):
    """Each platform's facts as dataset dicts, by criterion slug, in the criteria's order."""
    citations = citations_of("fact", platforms, sources)
    criteria = {
        pk: (rank, slug, follows)
        for rank, (pk, slug, follows) in enumerate(
            Criterion.objects.order_by("order", "slug").values_list(
                "pk", "slug", "follows_free_plans"
            )
        )
    }
    overrides = defaultdict(dict)
    for fact_id, plan_id, state in PlanState.objects.filter(
        fact__platform__in=platforms
    ).values_list("fact_id", "plan_id", "state"):
        overrides[fact_id][plan_id] = state
    rows = driver_rows(
        Fact.objects.filter(platform__in=platforms)
        .order_by()
        .values_list(
            "pk",
            "platform_id",
            "criterion_id",
            "state",
            "plan_scope",
            "detail",
            "note",
            date_text("verified_on"),
            "contested",
            "contested_reason",
        )
    )
    # In the criteria's order, sorted here rather than by a join to the criteria in SQL.
    rows.sort(key=lambda row: criteria[row[2]][0])

    # Memos of the derived values, each computed by its rule once per distinct input: at
    # 5,000 platforms 140,000 facts cite a few thousand distinct lists of sources and share
    # a few states per plan. A shared `by_plan` dict is only ever read.
    def cited_evidence(source_ids):
        cited = [sources.all[source_id] for source_id in source_ids]
        kinds = [source["kind"] for source in cited]
        newest = max((s["published_on"] for s in cited if s["published_on"]), default=None)
        return kinds, newest

    evidence = {(): cited_evidence(())}
    # Each platform's plans (slug, free, trial) as a small number, the same for platforms
    # whose plans read the same: a cheap part of the `by_plan` memo's key.
    signatures = {}
    plan_kinds = {
        platform_id: signatures.setdefault(tuple(plan[:3] for plan in plans), len(signatures))
        for platform_id, plans in plan_keys.items()
    }
    by_plan_of = {}
    facts = defaultdict(dict)
    # The build's hot loop: each row unpacked and written as one dict literal, the stored
    # fields first, then the derived ones.
    for (
        pk,
        platform_id,
        criterion_id,
        state,
        scope,
        detail,
        note,
        verified_on,
        contested,
        contested_reason,
    ) in rows:
        fact_citations = citations.get(pk)
        if fact_citations is None:
            fact_citations, (kinds, evidence_from) = [], evidence[()]
        else:
            if len(fact_citations) == 1:  # most facts cite one source
                source_ids = (fact_citations[0]["source"],)
            else:
                source_ids = tuple(citation["source"] for citation in fact_citations)
            if (found := evidence.get(source_ids)) is None:
                found = evidence[source_ids] = cited_evidence(source_ids)
            kinds, evidence_from = found
        _rank, slug, follows = criteria[criterion_id]
        plan_states = overrides.get(pk)
        if plan_states is None:  # then only the plans' slugs and kinds matter, not ids
            memo = (plan_kinds.get(platform_id, -1), state, follows)
            if (by_plan := by_plan_of.get(memo)) is None:
                by_plan = by_plan_of[memo] = states_on_plans(
                    state, follows, plan_keys.get(platform_id, ()), {}
                )
        else:
            by_plan = states_on_plans(state, follows, plan_keys.get(platform_id, ()), plan_states)
        checked_on = iso(verified_on)
        facts[platform_id][slug] = {
            "state": state,
            "plan_scope": scope,
            "detail": detail,
            "note": note,
            "verified_on": checked_on,
            "contested": bool(contested),
            "contested_reason": contested_reason,
            "strength": evidence_strength(state, contested, kinds),
            "checked_on": checked_on,
            "evidence_from": evidence_from,
            "by_plan": by_plan,
            "sources": fact_citations,
        }
    return facts


def states_on_plans(state, follows, plan_keys, plan_states):
    """`by_plan`: a fact's state on each plan (slug, free, trial, pk) of its platform."""
    return {
        plan_slug: state_on_plan(state, follows, free, plan_states.get(plan_pk), plan_trial=trial)
        for plan_slug, free, trial, plan_pk in plan_keys
    }


def sourced_by_platform(model, platforms, fields, sources):
    """Each platform's encryption paths or incidents, each with its list of source ids."""
    cited = source_ids_of(model, platforms, sources)
    grouped = defaultdict(list)
    for item, (pk, platform_id) in plain_rows(
        model.objects.filter(platform__in=platforms), fields, "pk", "platform_id"
    ):
        item["sources"] = cited.get(pk, [])
        grouped[platform_id].append(item)
    return grouped


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off for a block that allocates a million small objects and
    frees none: it would otherwise walk the whole growing heap again and again, a third of
    the build's time at 5,000 platforms. The dataset holds no cycles to collect."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_dataset(platforms=None):
    if platforms is None:
        platforms = Platform.objects.published()
    platforms = platforms.order_by("name", "pk")
    with collector_paused():  # a no-op inside the view's own
        sources = SourceTable()
        plans, plan_keys = plans_by_platform(platforms, sources)
        facts = facts_by_platform(platforms, sources, plan_keys)
        paths = sourced_by_platform(EncryptionPath, platforms, PATH_FIELDS, sources)
        incidents = sourced_by_platform(Incident, platforms, INCIDENT_FIELDS, sources)
        for platform_incidents in incidents.values():
            for incident in platform_incidents:
                incident["cves"] = split_cves(incident["cves"])
        return {
            "schema": SCHEMA_VERSION,
            "generated_at": (last_changed_at() or timezone.now()).isoformat(timespec="seconds"),
            "criteria": list(Criterion.objects.values(*CRITERION_FIELDS)),
            "sources": sources.rows,
            "platforms": [
                {
                    **platform,
                    "plans": plans[pk],
                    "facts": facts[pk],
                    "encryption_paths": paths[pk],
                    "incidents": incidents[pk],
                }
                for platform, (pk,) in plain_rows(platforms, PLATFORM_FIELDS, "pk")
            ],
        }


def fact_sources(dataset, fact):
    """A fact's (or a plan's) citations as schema 2 listed them: each its source's fields
    (from the dataset's `sources`) with the citation's `quote` and `seen_on`."""
    table = dataset["sources"]
    return [
        {**table[citation["source"]], "quote": citation["quote"], "seen_on": citation["seen_on"]}
        for citation in fact["sources"]
    ]
