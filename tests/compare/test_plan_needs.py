"""The list's needs filter matches plans: what it lists agrees with /platforms.json's
`by_plan` states for any set of needs (issue 11's definition of done)."""

import json
import random
import re

import pytest

from platforms.models import MAX_NEED_BIT, NEED_MET_BY, Criterion, Fact, Plan, PlanState, State
from platforms.needs import recompute_need_masks, stale_need_masks
from platforms.synthetic import create_synthetic_platforms

from .oracle import expected_slugs


def listed_slugs(client, needs, vendor_only=False):
    query = {"need": needs}
    if vendor_only:
        query["vendor_only"] = "1"
    data = client.get("/list.json", query).json()
    if data["matches"] == "closest":
        return set()
    return {p["slug"] for p in data["platforms"]}


@pytest.fixture
def mixed_catalogue(seeded):
    create_synthetic_platforms(40, seed=11, max_plans=4)


def test_by_plan_lists_every_plan_of_every_platform(client, mixed_catalogue):
    dataset = client.get("/platforms.json").json()
    assert dataset["schema"] == 3
    assert any(len(p["plans"]) > 1 for p in dataset["platforms"])
    for platform in dataset["platforms"]:
        plan_slugs = {plan["slug"] for plan in platform["plans"]}
        for fact in platform["facts"].values():
            assert set(fact["by_plan"]) == plan_slugs
            assert fact["strength"] in {None, "vendor", "third_party", "contested"}
            assert (fact["strength"] is None) == (fact["state"] == "unknown")


@pytest.mark.parametrize("vendor_only", [False, True])
def test_the_list_agrees_with_the_json_for_random_need_sets(client, mixed_catalogue, vendor_only):
    dataset = client.get("/platforms.json").json()
    filterable = list(Criterion.objects.filterable().values_list("slug", flat=True))
    rng = random.Random(7)
    seen_nonempty = seen_empty = 0
    for _round in range(30):
        needs = rng.sample(filterable, rng.randint(1, len(filterable)))
        expected = expected_slugs(dataset, needs, vendor_only)
        assert listed_slugs(client, needs, vendor_only) == expected, needs
        seen_nonempty += bool(expected)
        seen_empty += not expected
    # The rounds exercised both outcomes, so the comparison meant something.
    assert seen_nonempty and seen_empty


def test_facet_counts_agree_with_the_json(client, mixed_catalogue):
    dataset = client.get("/platforms.json").json()
    html = client.get("/", {"need": ["baa"]}).content.decode()
    for criterion in Criterion.objects.filterable():
        expected = len(expected_slugs(dataset, {"baa", criterion.slug}))
        facet = f'id="facet-{criterion.slug}"><span class="visually-hidden">, </span>{expected}<'
        assert facet in html, criterion.slug


@pytest.mark.parametrize("vendor_only", [False, True])
def test_facet_counts_agree_with_the_json_for_random_need_sets(
    client, mixed_catalogue, vendor_only
):
    dataset = client.get("/platforms.json").json()
    filterable = list(Criterion.objects.filterable().values_list("slug", flat=True))
    rng = random.Random(3)
    seen_counts = set()
    for _round in range(6):
        chosen = rng.sample(filterable, rng.randint(0, 3))
        query = {"need": chosen, **({"vendor_only": "1"} if vendor_only else {})}
        options = client.get("/", query).context["need_options"]
        assert [o["criterion"].slug for o in options] == filterable
        for option in options:
            slug = option["criterion"].slug
            expected = len(expected_slugs(dataset, {*chosen, slug}, vendor_only))
            assert option["count"] == expected, (chosen, slug)
            seen_counts.add(expected)
    assert len(seen_counts) > 3  # counts that differ, so the comparison meant something


def test_masks_with_other_bits_agree_with_the_json(client, mixed_catalogue):
    # A criterion's bit is its own (need_bit), not its id or position: the seed's bits
    # reversed, and the masks recomputed, give the same answers.
    criteria = list(Criterion.objects.order_by("pk"))
    Criterion.objects.update(need_bit=None)
    for bit, criterion in zip(range(MAX_NEED_BIT, 0, -1), criteria, strict=False):
        Criterion.objects.filter(pk=criterion.pk).update(need_bit=bit)
    recompute_need_masks()
    assert Criterion.objects.filter(need_bit__gt=MAX_NEED_BIT - 8).exists()
    dataset = client.get("/platforms.json").json()
    filterable = list(Criterion.objects.filterable().values_list("slug", flat=True))
    rng = random.Random(5)
    for vendor_only in (False, True):
        chosen = rng.sample(filterable, 2)
        query = {"need": chosen, **({"vendor_only": "1"} if vendor_only else {})}
        assert listed_slugs(client, chosen, vendor_only) == expected_slugs(
            dataset, chosen, vendor_only
        )
        for option in client.get("/", query).context["need_options"]:
            slug = option["criterion"].slug
            expected = len(expected_slugs(dataset, {*chosen, slug}, vendor_only))
            assert option["count"] == expected, (chosen, slug)


def test_synthetic_and_seed_masks_are_stored_fresh(mixed_catalogue):
    assert Plan.objects.exclude(need_mask=0).exists()
    assert stale_need_masks() == []


def test_baa_and_free_plan_need_one_free_plan_with_a_baa(client, seeded):
    zoom = Plan.objects.get(platform__slug="zoom", slug="free")
    baa = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    assert baa.state == State.YES
    assert PlanState.objects.get(fact=baa, plan=zoom).state == State.UNKNOWN
    assert "zoom" not in listed_slugs(client, ["baa", "free-plan"])
    # A paid plan with a BAA and a free plan without one do not add up to a match.
    assert "zoom" in listed_slugs(client, ["baa"])
    assert "zoom" in listed_slugs(client, ["free-plan"])

    PlanState.objects.filter(fact=baa, plan=zoom).update(state=State.YES)
    recompute_need_masks()  # update() bypasses the receivers that keep the masks
    assert "zoom" in listed_slugs(client, ["baa", "free-plan"])


def test_the_card_names_the_plans_that_meet_the_needs(client, seeded):
    html = client.get("/", {"need": ["baa"], "q": "zoom"}).content.decode()
    assert "meet all 1 need" not in html
    assert "Pro, Business, Business Plus and Enterprise meet your need" in html
    assert "Basic (free) misses: BAA offered (unknown)" in html


def test_cheapest_plan_uses_stated_prices_only(client, seeded):
    zoom = Plan.objects.filter(platform__slug="zoom")
    zoom.update(price_amount=None, price_currency="", price_period="")
    zoom.filter(slug="pro").update(
        price_amount=15, price_currency="USD", price_period="user_month"
    )
    zoom.filter(slug="business").update(
        price_amount=120, price_currency="USD", price_period="user_year"
    )
    html = client.get("/", {"need": ["baa"], "q": "zoom"}).content.decode()
    assert "Cheapest plan that meets your needs: Business, USD 120 per user per year" in html

    zoom.update(price_amount=None, price_currency="", price_period="")
    html = client.get("/", {"need": ["baa"], "q": "zoom"}).content.decode()
    assert "Price not known for the plans that meet your needs." in html
    assert 'class="cheapest">Cheapest plan' not in html


def test_cheapest_sort_puts_unknown_prices_last(client, mixed_catalogue):
    data = client.get("/list.json", {"need": ["baa"], "sort": "cheapest"}).json()
    dataset = {p["slug"]: p for p in client.get("/platforms.json").json()["platforms"]}

    def cheapest(slug):
        prices = []
        for plan in dataset[slug]["plans"]:
            fact = dataset[slug]["facts"]["baa"]
            if fact["by_plan"][plan["slug"]] not in NEED_MET_BY[State.YES]:
                continue
            if plan["free"]:
                prices.append(0)
            elif plan["price"]:
                months = 12 if plan["price"]["period"].endswith("year") else 1
                prices.append(float(plan["price"]["amount"]) / months)
        return min(prices, default=None)

    prices = [cheapest(p["slug"]) for p in data["platforms"]]
    known = [p for p in prices if p is not None]
    assert known == sorted(known)
    assert prices == known + [None] * (len(prices) - len(known))
    assert known and len(known) < len(prices)


def test_vendor_only_is_a_link_and_counts_only_vendor_statements(client, seeded):
    webex_baa = Fact.objects.get(platform__slug="webex", criterion__slug="baa")
    assert webex_baa.strength != "vendor"
    assert "webex" not in listed_slugs(client, ["baa"], vendor_only=True)
    html = client.get("/", {"need": ["baa"], "vendor_only": "1"}).content.decode()
    assert 'name="vendor_only"' in html and "checked" in html.split('name="vendor_only"')[1][:80]


@pytest.mark.parametrize(
    ("sent", "ticked"), [("1", True), ("on", True), ("0", False), ("off", False), ("", False)]
)
def test_the_vendor_only_box_is_ticked_exactly_when_the_link_turns_it_on(
    client, seeded, sent, ticked
):
    response = client.get("/", {"need": ["baa"], "vendor_only": sent})
    box = re.search(r'<input type="checkbox" name="vendor_only"[^>]*>', response.content.decode())
    assert response.status_code == 200 and response.context["vendor_only"] is ticked
    assert ("checked" in box[0]) is ticked
    assert 'value="1"' in box[0]  # ticked, the form sends 1 whatever the link said


def test_a_bad_need_in_a_link_keeps_the_good_ones(client, seeded):
    response = client.get("/", {"need": ["bogus", "baa"]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ignored from this link: “bogus”" in html
    assert 'value="baa" id="need-baa" checked' in html
    assert "Select a valid choice" not in html
    # The page lists what the good needs alone list (a download of the half-read link is
    # refused instead: tests/compare/test_exports.py).
    shown = {p.slug for p in response.context["object_list"]}
    assert shown and shown == listed_slugs(client, ["baa"])


def test_states_read_for_themselves_unless_the_need_was_chosen(client, seeded):
    e2ee = Criterion.objects.get(slug="e2ee")
    assert e2ee.recommended == State.ON_BY_DEFAULT
    Fact.objects.filter(platform__slug="zoom", criterion=e2ee).update(state=State.OFF_BY_DEFAULT)
    recompute_need_masks()
    plain = client.get("/", {"q": "zoom"}).content.decode()
    assert "(meets the need)" not in plain
    assert "End-to-end encryption:</span> Available, switch it on" in plain
    chosen = client.get("/", {"q": "zoom", "need": "e2ee"}).content.decode()
    assert "(meets the need)" in chosen


def test_json_export_is_schema_3_with_evidence(client, seeded):
    data = client.get("/platforms.json").json()
    zoom = next(p for p in data["platforms"] if p["slug"] == "zoom")
    plan = zoom["plans"][0]
    assert set(plan) >= {"slug", "name", "free", "price", "note", "sources"}
    fact = zoom["facts"]["baa"]
    assert set(fact) >= {"strength", "checked_on", "evidence_from", "by_plan", "sources"}
    citation = fact["sources"][0]
    assert set(citation) >= {"source", "quote", "seen_on"}
    assert set(data["sources"][citation["source"]]) >= {"kind", "url", "title"}
    json.dumps(data)  # plain data throughout


def test_a_free_trial_is_not_a_free_plan(client, seeded):
    """The free-plan criterion reads "partly" on a trial, as it defines "partly": a BAA on
    a trial account does not make "BAA offered" + "Free plan" true."""
    trial = Plan.objects.get(platform__slug="spruce-health", slug="trial")
    assert trial.trial and not trial.free
    dataset = client.get("/platforms.json").json()
    spruce = next(p for p in dataset["platforms"] if p["slug"] == "spruce-health")
    assert spruce["facts"]["free-plan"]["by_plan"] == {
        "trial": "partial",
        "basic": "no",
        "communicator": "no",
    }
    assert next(p for p in spruce["plans"] if p["slug"] == "trial")["trial"] is True
    for slug in ("spruce-health", "sessionshealth"):
        assert slug not in listed_slugs(client, ["free-plan"])
        assert slug not in listed_slugs(client, ["baa", "free-plan"])
    # The closest match says what each plan misses.
    html = client.get("/", {"need": ["baa", "free-plan"], "q": "spruce"}).content.decode()
    assert "Free trial misses: Free plan (partly)" in html
    # Ticked as a free plan again, the same trial would count: the flag decides, not the name.
    Plan.objects.filter(pk=trial.pk).update(trial=False, free=True)
    recompute_need_masks()
    assert "spruce-health" in listed_slugs(client, ["free-plan"])


def test_a_trial_has_no_price_to_rank(client, seeded):
    html = client.get("/", {"need": ["baa"], "q": "spruce"}).content.decode()
    assert "Cheapest plan that meets your needs: Free trial" not in html
    page = client.get("/platforms/spruce-health/").content.decode()
    assert "Free for a trial period" in page


@pytest.mark.parametrize(
    "query",
    ["", "q=zoom&sort=verified", "q=<b>&sort=cheapest", "vendor_only=1", "vendor_only=yes&sort=x"],
)
def test_the_filter_forms_kept_widgets_are_the_html_django_renders(seeded, query):
    from django.forms.boundfield import BoundField
    from django.http import QueryDict

    from compare import filters
    from platforms.models import Platform

    def form():
        filterset = filters.PlatformFilter(QueryDict(query), queryset=Platform.objects.all())
        filterset.is_valid()
        return filterset.form

    filters.kept_widgets.clear()
    for name in ["q", "sort", "vendor_only"]:
        django = BoundField(form(), form().fields[name], name).as_widget()
        assert str(form()[name]) == django  # rendered, then kept
        assert str(form()[name]) == django  # read from what was kept
    assert len(filters.kept_widgets) == 3
    if "yes" in query:  # an error is part of the key: the box says it is invalid
        assert 'aria-invalid="true"' in str(form()["vendor_only"])
