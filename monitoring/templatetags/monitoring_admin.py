from django import template
from django.db.models import Count

from platforms.models import Platform

from ..models import needs_review_q

register = template.Library()


@register.simple_tag
def review_flags():
    """Platforms with facts a source check put up for review, and how many, in one query."""
    return (
        Platform.objects.annotate(flagged=Count("facts", filter=needs_review_q("facts__")))
        .filter(flagged__gt=0)
        .order_by("name")
        .only("name", "published")
    )
