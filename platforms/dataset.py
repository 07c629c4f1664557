"""The published dataset as plain data: the documented, versioned `/platforms.json` format.

Schema 1 (see README.md, "Machine-readable dataset"). Add keys freely; renaming or removing
one, or changing a value's meaning, bumps SCHEMA_VERSION.

The dataset is built from `values()` rows rather than model instances, in one query per
table whatever the catalogue's size: at 5,000 platforms (110,000 facts) that is seconds, not
the tens of seconds that instantiating and prefetching every fact and source took. A source
is turned into a dict once and shared by every fact that cites it.
"""

from collections import defaultdict

from django.utils import timezone

from .models import Criterion, EncryptionPath, Fact, Incident, Plan, Platform, Source, split_cves

SCHEMA_VERSION = 1

PLATFORM_FIELDS = ["slug", "name", "vendor", "website", "summary", "reviewed_on"]
CRITERION_FIELDS = ["slug", "label", "group", "definition", "why_it_matters", "recommended"]
PLAN_FIELDS = ["name", "free", "price_note", "baa"]
SOURCE_FIELDS = ["url", "title", "publisher", "published_on", "third_party"]
SOURCED_FIELDS = ["note", "verified_on", "contested", "contested_reason"]
FACT_FIELDS = ["state", "plan_scope", *SOURCED_FIELDS]
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
DATE_FIELDS = {"reviewed_on", "verified_on", "published_on", "disclosed_on", "fixed_on"}


def iso(value):
    return value.isoformat() if value else None


def plain(row, fields):
    """A values() row as the dataset writes it: only `fields`, in order, dates as ISO text."""
    return {name: iso(row[name]) if name in DATE_FIELDS else row[name] for name in fields}


def source_dicts():
    """Every source by id, in the order facts list them (publisher, then title)."""
    rows = Source.objects.order_by("publisher", "title", "pk").values("pk", *SOURCE_FIELDS)
    return {row["pk"]: plain(row, SOURCE_FIELDS) for row in rows}


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


def children(model, platforms, fields, sources=None, order=(), **extra):
    """Rows of `model` on these platforms as dataset dicts, grouped by platform id."""
    queryset = model.objects.filter(platform__in=platforms)
    if order:
        queryset = queryset.order_by(*order)
    cited = sources_of(model, platforms, sources) if sources is not None else None
    grouped = defaultdict(list)
    for row in queryset.values("pk", "platform_id", *fields, *extra.values()):
        item = plain(row, fields)
        for key, lookup in extra.items():
            item[key] = row[lookup]
        if cited is not None:
            item["sources"] = cited.get(row["pk"], [])
        grouped[row["platform_id"]].append(item)
    return grouped


def build_dataset(platforms=None):
    if platforms is None:
        platforms = Platform.objects.published()
    platforms = platforms.order_by("name", "pk")
    sources = source_dicts()
    plans = children(Plan, platforms, PLAN_FIELDS)
    facts = children(
        Fact,
        platforms,
        FACT_FIELDS,
        sources,
        order=["criterion__order", "criterion__slug"],
        criterion="criterion__slug",
    )
    paths = children(EncryptionPath, platforms, PATH_FIELDS, sources)
    incidents = children(Incident, platforms, INCIDENT_FIELDS, sources)
    for platform_incidents in incidents.values():
        for incident in platform_incidents:
            incident["cves"] = split_cves(incident["cves"])
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "criteria": [
            plain(row, CRITERION_FIELDS) for row in Criterion.objects.values(*CRITERION_FIELDS)
        ],
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
