"""Subscribing and editing the way people do it: through the pages and the admin."""

import re

from django.core import mail

from platforms.models import Fact
from tests.platforms.admin_forms import form_data

# A test stand-in for the sentence a cited page says (the admin needs one to save a known
# state); test data only, never site data.
TEST_QUOTE = "A sentence standing in for the cited page's words, in the test database."


def edit_state(client, fact, state):
    """Change a fact's state through the admin change form, as an editor would."""
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    data["state"] = state
    for key, value in list(data.items()):
        if re.fullmatch(r"citations-\d+-source", key) and value:
            data[key.replace("-source", "-quote")] = TEST_QUOTE
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]


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
