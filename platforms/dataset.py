"""The published dataset as plain data: the documented, versioned `/platforms.json` format.

Schema 2 (see README.md, "Machine-readable dataset"). Add keys freely; renaming or removing
one, or changing a value's meaning, bumps SCHEMA_VERSION. Schema 2 added plans with prices,
each fact's state on every plan (`by_plan`), evidence strength, the two dates (`checked_on`,
`evidence_from`) and each citation's kind, quote and date seen.

The dataset is built from `values()` rows rather than model instances, in one query per
table whatever the catalogue's size: at 5,000 platforms (110,000 facts) that is seconds, not
the tens of seconds that instantiating and prefetching every fact and source took. A source
is turned into a dict once and shared by every citation of it.
"""

from collections import defaultdict

from django.utils import timezone

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

SCHEMA_VERSION = 2

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
PLAN_FIELDS = ["slug", "name", "free", "note"]
SOURCE_FIELDS = ["url", "title", "publisher", "published_on", "kind"]
SOURCED_FIELDS = ["note", "verified_on", "contested", "contested_reason"]
FACT_FIELDS = ["state", "plan_scope", "detail", *SOURCED_FIELDS]
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
    "disclosed_on",
    "fixed_on",
    "seen_on",
}


def iso(value):
    return value.isoformat() if value else None


def plain(row, fields):
    """A values() row as the dataset writes it: only `fields`, in order, dates as ISO text."""
    return {name: iso(row[name]) if name in DATE_FIELDS else row[name] for name in fields}


def source_dicts():
    """Every source by id, in the order facts list them (publisher, then title)."""
    rows = Source.objects.order_by("publisher", "title", "pk").values("pk", *SOURCE_FIELDS)
    sources = {}
    for row in rows:
        source = plain(row, SOURCE_FIELDS)
        source["third_party"] = source["kind"] != Source.Kind.VENDOR  # as in schema 1
        sources[row["pk"]] = source
    return sources


def sources_of(model, platforms, sources):
    """For each row of a sourced `model` on these platforms, the list of its source dicts."""
    through = model.sources.through
    owner = model._meta.model_name  # the through table's column is named after the model
    cited = defaultdict(list)
    rows = through.objects.filter(**{f"{owner}__platform__in": platforms}).values_list(
        f"{owner}_id", "source_id"
    )
    position = {pk: i for i, pk in enumerate(sources)}
    for owner_id, source_id in rows:
        cited[owner_id].append(source_id)
    return {
        owner_id: [sources[pk] for pk in sorted(ids, key=position.__getitem__)]
        for owner_id, ids in cited.items()
    }


def citations_of(owner, platforms, sources):
    """For each fact (owner "fact") or plan ("plan") on these platforms, its citations as
    source dicts with the citation's quote and date seen, in the sources' order."""
    position = {pk: i for i, pk in enumerate(sources)}
    rows = (
        Citation.objects.filter(**{f"{owner}__platform__in": platforms})
        .order_by()
        .values_list(f"{owner}_id", "source_id", "quote", "seen_on")
    )
    cited = defaultdict(list)
    for owner_id, source_id, quote, seen_on in rows:
        cited[owner_id].append((position[source_id], source_id, quote, seen_on))
    return {
        owner_id: [
            {**sources[source_id], "quote": quote, "seen_on": iso(seen_on)}
            for _pos, source_id, quote, seen_on in sorted(items)
        ]
        for owner_id, items in cited.items()
    }


def children(model, platforms, fields, sources=None, order=(), cited=None, **extra):
    """Rows of `model` on these platforms as dataset dicts, grouped by platform id.

    Each dict keeps its row id under "pk" until the caller drops it."""
    queryset = model.objects.filter(platform__in=platforms)
    if order:
        queryset = queryset.order_by(*order)
    if cited is None and sources is not None:
        cited = sources_of(model, platforms, sources)
    grouped = defaultdict(list)
    for row in queryset.values("pk", "platform_id", *fields, *extra.values()):
        item = plain(row, fields)
        for key, lookup in extra.items():
            item[key] = row[lookup]
        if cited is not None:
            item["sources"] = cited.get(row["pk"], [])
        item["pk"] = row["pk"]
        grouped[row["platform_id"]].append(item)
    return grouped


def price_of(row):
    if row["price_amount"] is None:
        return None
    return {
        "amount": str(row["price_amount"].normalize())
        if row["price_amount"] % 1
        else int(row["price_amount"]),
        "currency": row["price_currency"],
        "period": row["price_period"],
    }


def build_dataset(platforms=None):
    if platforms is None:
        platforms = Platform.objects.published()
    platforms = platforms.order_by("name", "pk")
    sources = source_dicts()
    criteria = list(Criterion.objects.values(*CRITERION_FIELDS))
    follows_free = {c["slug"] for c in criteria if c["follows_free_plans"]}

    plans = children(
        Plan,
        platforms,
        PLAN_FIELDS,
        order=["order", "-free", "name"],
        cited=citations_of("plan", platforms, sources),
        price_amount="price_amount",
        price_currency="price_currency",
        price_period="price_period",
    )
    for platform_plans in plans.values():
        for plan in platform_plans:
            plan["price"] = price_of(
                {key: plan.pop(key) for key in ("price_amount", "price_currency", "price_period")}
            )
            plan["sources"] = plan.pop("sources")
    overrides = defaultdict(dict)
    for fact_id, plan_id, state in PlanState.objects.filter(
        fact__platform__in=platforms
    ).values_list("fact_id", "plan_id", "state"):
        overrides[fact_id][plan_id] = state

    facts = children(
        Fact,
        platforms,
        FACT_FIELDS,
        order=["criterion__order", "criterion__slug"],
        cited=citations_of("fact", platforms, sources),
        criterion="criterion__slug",
    )
    for platform_id, platform_facts in facts.items():
        platform_plans = plans.get(platform_id, [])
        for fact in platform_facts:
            fact_pk = fact.pop("pk")
            kinds = [s["kind"] for s in fact["sources"]]
            dates = [s["published_on"] for s in fact["sources"] if s["published_on"]]
            fact["strength"] = evidence_strength(fact["state"], fact["contested"], kinds)
            fact["checked_on"] = fact["verified_on"]
            fact["evidence_from"] = max(dates, default=None)
            fact["by_plan"] = {
                plan["slug"]: state_on_plan(
                    fact["state"],
                    fact["criterion"] in follows_free,
                    plan["free"],
                    overrides[fact_pk].get(plan["pk"]),
                )
                for plan in platform_plans
            }
            fact["sources"] = fact.pop("sources")
    paths = children(EncryptionPath, platforms, PATH_FIELDS, sources)
    incidents = children(Incident, platforms, INCIDENT_FIELDS, sources)
    for platform_incidents in incidents.values():
        for incident in platform_incidents:
            incident["cves"] = split_cves(incident["cves"])
    for grouped in (plans, paths, incidents):
        for items in grouped.values():
            for item in items:
                item.pop("pk")
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "criteria": [plain(row, CRITERION_FIELDS) for row in criteria],
        "platforms": [
            {
                **plain(row, PLATFORM_FIELDS),
                "plans": plans[row["pk"]],
                "facts": {fact.pop("criterion"): fact for fact in facts[row["pk"]]},
                "encryption_paths": paths[row["pk"]],
                "incidents": incidents[row["pk"]],
            }
            for row in platforms.values("pk", *PLATFORM_FIELDS)
        ],
    }
