"""Subscribing and editing the way people do it: through the pages and the admin."""

import re

from django.core import mail
from django.utils import timezone

from platforms.models import Fact, PlanState, Source, State
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


def a_plans_own_state(**filters):
    """A plan's own state on a fact of a published platform, with the fact and the plan."""
    own = (
        PlanState.objects.filter(fact__platform__published=True, **filters)
        .select_related("fact__platform", "fact__criterion", "plan")
        .first()
    )
    return own, own.fact, own.plan


def edit_plan_state(client, fact, plan, state):
    """Give `fact` its own `state` on `plan` (None: remove it, so the plan has the fact's
    platform-wide state) in the per-plan rows of the fact's admin page."""
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    prefix = next(
        (
            key.removesuffix("-plan")
            for key, value in data.items()
            if re.fullmatch(r"plan_states-\d+-plan", key) and value == str(plan.pk)
        ),
        None,
    )
    if prefix is None:  # a new row, as "Add another" makes
        assert state is not None, f"{plan} has no state of its own on {fact}"
        count = int(data["plan_states-TOTAL_FORMS"])
        prefix = f"plan_states-{count}"
        data["plan_states-TOTAL_FORMS"] = str(count + 1)
        data[f"{prefix}-plan"] = str(plan.pk)
    if state is None:
        data[f"{prefix}-DELETE"] = "on"
    else:
        data[f"{prefix}-state"] = state
    # A change of the per-plan states asks when the fact was checked: today.
    data["verified_on"] = timezone.localdate().isoformat()
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
