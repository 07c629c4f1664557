from django.urls import reverse

from platforms.models import Fact

QUOTE = "A sentence standing in for the cited page's words, in the test database."


def zoom_baa():
    return Fact.objects.select_related("platform", "criterion").get(
        platform__slug="zoom", criterion__slug="baa"
    )


def form_url(fact):
    return reverse("corrections:suggest", args=[fact.platform.slug, fact.criterion.slug])


def valid(**changes):
    data = {
        "what_is_wrong": "The BAA page now says the free plan is covered too.",
        "proposed_state": "partial",
        "source_url": "https://vendor.example/baa",
        "quote": QUOTE,
        "writer": "therapist",
        "disclosure": "",
        "email": "",
        "website": "",
    }
    data.update(changes)
    return data
