"""The admin landing panel: what needs an editor's attention, per platform."""

from django import template
from django.db.models import Count, Q

from platforms.models import Fact, Platform, State, stale_cutoff

register = template.Library()


@register.simple_tag
def review_counts():
    """Per platform: stale, unknown, contested, unsourced, old-evidence and third-party-only
    facts, in one query (the rules are the Fact QuerySet's)."""

    def facts(condition):
        return Count("facts", filter=condition, distinct=True)

    return Platform.objects.order_by("name").annotate(
        total=facts(Q()),
        stale=facts(Q(facts__verified_on__lt=stale_cutoff())),
        unknown=facts(Q(facts__state=State.UNKNOWN)),
        contested=facts(Q(facts__contested=True)),
        unsourced=facts(Q(facts__in=Fact.objects.unsourced_claims())),
        old_evidence=facts(Q(facts__in=Fact.objects.old_evidence().values("pk"))),
        weak=facts(Q(facts__in=Fact.objects.contested_or_third_party())),
    )


@register.filter
def in_minutes(duration):
    """A timedelta as whole minutes, rounded up: "try again in 15 minutes"."""
    return -(-int(duration.total_seconds()) // 60)
