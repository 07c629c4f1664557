"""Synthetic catalogues for query-count tests and benchmarks: never part of the seed data."""

import datetime
import random

from .models import Criterion, Fact, Platform, Source, State


def create_synthetic_platforms(count, seed=0, prefix="synthetic"):
    """Create `count` published platforms, each with a sourced fact for every criterion."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    criteria = list(Criterion.objects.all())
    source, _ = Source.objects.get_or_create(
        url="https://example.invalid/synthetic-benchmark-source",
        defaults={
            "title": "Synthetic data for tests and benchmarks",
            "publisher": "Teletherapy Compare",
            "accessed_on": datetime.date(2026, 1, 1),
        },
    )
    start = Platform.objects.filter(slug__startswith=f"{prefix}-").count()
    platforms = Platform.objects.bulk_create(
        Platform(
            name=f"Synthetic platform {start + i:05d}",
            slug=f"{prefix}-{start + i:05d}",
            vendor=f"Vendor {(start + i) % 97}",
            website="https://example.invalid/",
            summary="A generated platform used to measure how pages scale.",
        )
        for i in range(count)
    )
    states = [s.value for s in State]
    facts = Fact.objects.bulk_create(
        Fact(
            platform=platform,
            criterion=criterion,
            state=rng.choice(states),
            verified_on=datetime.date(2026, 1, 1) - datetime.timedelta(days=rng.randrange(800)),
            note="Generated.",
        )
        for platform in platforms
        for criterion in criteria
    )
    Through = Fact.sources.through
    Through.objects.bulk_create(Through(fact_id=f.pk, source_id=source.pk) for f in facts)
    return platforms
