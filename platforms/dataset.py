"""The published dataset as plain data: the documented, versioned `/platforms.json` format.

Schema 1 (see README.md, "Machine-readable dataset"). Add keys freely; renaming or removing
one, or changing a value's meaning, bumps SCHEMA_VERSION.
"""

from django.db.models import Prefetch
from django.utils import timezone

from .models import Criterion, EncryptionPath, Fact, Incident, Platform, Source

SCHEMA_VERSION = 1


def iso(value):
    return value.isoformat() if value else None


def source_data(source):
    return {
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
        "published_on": iso(source.published_on),
        "third_party": source.third_party,
    }


def criterion_data(criterion):
    return {
        "slug": criterion.slug,
        "label": criterion.label,
        "group": criterion.group,
        "definition": criterion.definition,
        "why_it_matters": criterion.why_it_matters,
        "recommended": criterion.recommended,
    }


def fact_data(fact):
    return {
        "state": fact.state,
        "plan_scope": fact.plan_scope,
        "note": fact.note,
        "verified_on": iso(fact.verified_on),
        "contested": fact.contested,
        "contested_reason": fact.contested_reason,
        "sources": [source_data(s) for s in fact.sources.all()],
    }


def path_data(path):
    return {
        "connection": path.connection,
        "transport": path.transport,
        "decrypted_at": path.decrypted_at,
        "key_holder": path.key_holder,
        "note": path.note,
        "verified_on": iso(path.verified_on),
        "contested": path.contested,
        "contested_reason": path.contested_reason,
        "sources": [source_data(s) for s in path.sources.all()],
    }


def incident_data(incident):
    return {
        "title": incident.title,
        "cves": incident.cve_list,
        "kind": incident.kind,
        "affected": incident.affected,
        "disclosed_on": iso(incident.disclosed_on),
        "fixed_on": iso(incident.fixed_on),
        "fixed_in": incident.fixed_in,
        "status": incident.status,
        "mitigation": incident.mitigation,
        "sources": [source_data(s) for s in incident.sources.all()],
    }


def platform_data(platform):
    return {
        "slug": platform.slug,
        "name": platform.name,
        "vendor": platform.vendor,
        "website": platform.website,
        "summary": platform.summary,
        "reviewed_on": iso(platform.reviewed_on),
        "plans": [
            {"name": p.name, "free": p.free, "price_note": p.price_note, "baa": p.baa}
            for p in platform.plans.all()
        ],
        "facts": {fact.criterion.slug: fact_data(fact) for fact in platform.facts.all()},
        "encryption_paths": [path_data(path) for path in platform.encryption_paths.all()],
        "incidents": [incident_data(incident) for incident in platform.incidents.all()],
    }


def with_everything(platforms):
    """Prefetch all a platform's children so serializing costs a fixed number of queries."""
    sources = Prefetch("sources", queryset=Source.objects.order_by("publisher", "title"))
    return platforms.prefetch_related(
        "plans",
        Prefetch(
            "facts",
            queryset=Fact.objects.select_related("criterion")
            .prefetch_related(sources)
            .order_by("criterion__order", "criterion__slug"),
        ),
        Prefetch("encryption_paths", queryset=EncryptionPath.objects.prefetch_related(sources)),
        Prefetch("incidents", queryset=Incident.objects.prefetch_related(sources)),
    )


def build_dataset(platforms=None):
    if platforms is None:
        platforms = Platform.objects.published()
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "criteria": [criterion_data(c) for c in Criterion.objects.all()],
        "platforms": [platform_data(p) for p in with_everything(platforms)],
    }
