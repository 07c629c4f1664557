"""Subscribing and editing the way people do it: through the pages and the admin."""

import re

from django.core import mail
from django.utils import timezone

from platforms.models import Fact, Source, State
from tests.platforms.admin_forms import form_data

# A test stand-in for the sentence a cited page says (the admin needs one to save a known
# state); test data only, never site data.
TEST_QUOTE = "A sentence standing in for the cited page's words, in the test database."


def edit_state(client, fact, state):
    """Change a fact's state on its admin page, as an editor would: the new state, the check
    date confirmed as today (the admin refuses a changed state under the old date), and, for
    a known state on a fact without a quoted citation, one quoted citation in the blank row."""
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    data["state"] = state
    data["verified_on"] = timezone.localdate().isoformat()
    if state != State.UNKNOWN and not has_quoted_citation(data):
        blank = f"citations-{data['citations-INITIAL_FORMS']}"  # the "add another" row
        assert int(data["citations-TOTAL_FORMS"]) > int(data["citations-INITIAL_FORMS"])
        source = Source.objects.exclude(citations__fact=fact).first()
        data[f"{blank}-source"] = str(source.pk)
        data[f"{blank}-quote"] = TEST_QUOTE
        data[f"{blank}-seen_on"] = timezone.localdate().isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]


def has_quoted_citation(data):
    """Whether the posted fact page keeps a citation with a quote."""
    return any(
        re.fullmatch(r"citations-\d+-quote", key)
        and value.strip()
        and f"{key.removesuffix('-quote')}-DELETE" not in data
        for key, value in data.items()
    )


def cited_fact(**filters):
    """A fact in a known state that cites at least one source, and a different state."""
    fact = (
        Fact.objects.known()
        .filter(citations__isnull=False, **filters)
        .select_related("platform", "criterion")
        .distinct()
        .first()
    )
    other = "partial" if fact.state != "partial" else "yes"
    return fact, other


def links_in(message):
    return re.findall(r"https?://[^\s<>\"]+", message.body)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def subscribe(client, email, platforms=(), everything=False, frequency="immediate"):
    data = {"email": email, "platforms": list(platforms), "frequency": frequency}
    if everything:
        data["everything"] = "on"
    return client.post("/alerts/", data)


def confirm_link(email):
    """The path of the confirmation link in the newest message to `email`."""
    message = [m for m in mail.outbox if m.to == [email]][-1]
    return next(path_of(url) for url in links_in(message) if "/alerts/confirm/" in url)
