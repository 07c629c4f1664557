"""Synthetic catalogues for query-count tests and benchmarks: never part of the seed data."""

import datetime
import decimal
import random

from .models import Citation, Criterion, Fact, Plan, PlanState, Platform, Source, State
from .needs import recompute_need_masks

PLAN_NAMES = ["Free", "Trial", "Starter", "Pro", "Business", "Enterprise"]


def create_synthetic_platforms(count, seed=0, prefix="synthetic", max_plans=3):
    """Create `count` published platforms, each with a sourced fact for every criterion and
    up to `max_plans` plans (some free, some free trials, some priced) on which some facts
    differ."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    criteria = list(Criterion.objects.all())
    sources = [
        Source.objects.get_or_create(
            url=f"https://example.invalid/synthetic-benchmark-source-{kind}",
            defaults={
                "title": f"Synthetic data for tests and benchmarks ({kind})",
                "publisher": "Teletherapy Compare",
                "accessed_on": datetime.date(2026, 1, 1),
                "kind": kind,
            },
        )[0]
        for kind in (Source.Kind.VENDOR, Source.Kind.THIRD_PARTY)
    ]
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
    Citation.objects.bulk_create(
        Citation(
            fact=fact,
            source=rng.choice(sources),
            quote="A generated sentence that supports the generated claim.",
            seen_on=datetime.date(2026, 1, 1),
        )
        for fact in facts
    )
    plans = Plan.objects.bulk_create(
        Plan(
            platform=platform,
            name=name,
            slug=name.lower(),
            free=name == "Free",
            trial=name == "Trial",
            order=order,
            **(
                {"price_amount": decimal.Decimal(rng.randrange(5, 90)), "price_currency": "USD"}
                | {"price_period": rng.choice(["provider_month", "user_year"])}
                if name not in {"Free", "Trial"} and rng.random() < 0.7
                else {}
            ),
        )
        for platform in platforms
        for order, name in enumerate(
            sorted(rng.sample(PLAN_NAMES, rng.randrange(max_plans + 1)), key=PLAN_NAMES.index)
        )
    )
    facts_by_platform = {}
    for fact in facts:
        facts_by_platform.setdefault(fact.platform_id, []).append(fact)
    states = [s.value for s in State]
    PlanState.objects.bulk_create(
        PlanState(fact=fact, plan=plan, state=rng.choice(states))
        for plan in plans
        for fact in rng.sample(facts_by_platform[plan.platform_id], 3)
    )
    # Bulk inserts bypass the receivers that keep the stored masks (platforms/signals.py).
    recompute_need_masks([platform.pk for platform in platforms])
    return platforms
