"""The stored need masks (platforms/needs.py) follow every kind of admin edit, in the edit's
own transaction: after each, the masks equal the recomputed ones and the list answers as the
published data says (the oracle reads /platforms.json, which never reads the masks)."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from platforms.integrity import need_mask_problems
from platforms.models import Citation, Criterion, Fact, Plan, PlanState, Platform, Source, State
from platforms.needs import stale_need_masks

from ..compare.oracle import expected_slugs
from .admin_forms import form_data, inline_prefix, staff_client

pytestmark = pytest.mark.django_db


def listed(client, needs, vendor_only=False):
    query = {"need": needs, **({"vendor_only": "1"} if vendor_only else {})}
    data = client.get("/list.json", query).json()
    return set() if data["matches"] == "closest" else {p["slug"] for p in data["platforms"]}


def assert_list_agrees(client, needs, vendor_only=False):
    assert stale_need_masks() == []
    expected = expected_slugs(client.get("/platforms.json").json(), needs, vendor_only)
    assert listed(client, needs, vendor_only) == expected
    return expected


def admin_save(admin, url, edit):
    """Post the change page with `edit` applied, confirming today's check date when the
    page asks for it (a changed state or citation does)."""
    data = form_data(admin.get(url))
    edit(data)
    response = admin.post(url, data)
    if response.status_code == 200:
        again = form_data(response)
        edit(again)
        again["verified_on"] = timezone.localdate().isoformat()
        response = admin.post(url, again)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def admin(seeded):
    return staff_client("root")[0]


def test_the_seed_stores_fresh_masks_with_one_bit_per_criterion(seeded):
    bits = list(Criterion.objects.values_list("need_bit", flat=True))
    assert None not in bits and len(set(bits)) == len(bits)
    assert Plan.objects.exclude(need_mask=0).exists()
    assert stale_need_masks() == []
    assert need_mask_problems() == []


def test_a_fact_state_edited_in_the_admin(client, admin):
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    assert "zoom" in assert_list_agrees(client, ["baa"])
    # Zoom's plans take the platform-wide state except where a plan state says otherwise.
    PlanState.objects.filter(fact=fact).delete()
    assert "zoom" in assert_list_agrees(client, ["baa"])

    admin_save(admin, f"/admin/platforms/fact/{fact.pk}/change/", lambda d: d.update(state="no"))
    assert Fact.objects.get(pk=fact.pk).state == State.NO
    assert "zoom" not in assert_list_agrees(client, ["baa"])


def test_a_plan_state_edited_in_the_admin(client, admin):
    free = Plan.objects.get(platform__slug="zoom", slug="free")
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    assert "zoom" not in assert_list_agrees(client, ["baa", "free-plan"])

    def edit(data):
        prefix = inline_prefix(data, "plan_states", "plan", free.pk)
        data[f"{prefix}-state"] = State.YES

    admin_save(admin, f"/admin/platforms/fact/{fact.pk}/change/", edit)
    assert PlanState.objects.get(fact=fact, plan=free).state == State.YES
    assert "zoom" in assert_list_agrees(client, ["baa", "free-plan"])


def test_a_cited_source_whose_kind_changes_in_the_admin(client, admin):
    # A vendor page that alone makes some fact vendor-stated.
    fact = next(
        f
        for f in Fact.objects.known().filter(contested=False, criterion__filterable=True)
        if [c.source.kind for c in f.citations.all()] == [Source.Kind.VENDOR]
    )
    source, need = fact.citations.get().source, fact.criterion.slug
    slug = fact.platform.slug
    before = Platform.objects.get(slug=slug).vendor_need_mask
    assert_list_agrees(client, [need], vendor_only=True)

    admin_save(
        admin,
        f"/admin/platforms/source/{source.pk}/change/",
        lambda d: d.update(kind=Source.Kind.THIRD_PARTY),
    )
    assert Source.objects.get(pk=source.pk).kind == Source.Kind.THIRD_PARTY
    assert Platform.objects.get(slug=slug).vendor_need_mask != before
    assert slug not in assert_list_agrees(client, [need], vendor_only=True)
    assert_list_agrees(client, [need])


def test_a_criterion_recommendation_edited_in_the_admin(client, admin):
    baa = Criterion.objects.get(slug="baa")
    said_yes = assert_list_agrees(client, ["baa"])
    admin_save(
        admin,
        f"/admin/platforms/criterion/{baa.pk}/change/",
        lambda d: d.update(recommended=State.NO),
    )
    assert Criterion.objects.get(pk=baa.pk).recommended == State.NO
    say_no = assert_list_agrees(client, ["baa"])
    assert said_yes and say_no != said_yes


def test_citations_plans_and_facts_removed(client, admin):
    zoom = Platform.objects.get(slug="zoom")
    fact = zoom.facts.get(criterion__slug="baa")
    for citation in Citation.objects.filter(fact=fact):
        citation.delete()
    assert_list_agrees(client, ["baa"], vendor_only=True)
    for plan in zoom.plans.all():
        plan.delete()  # the platform is read as one without plans from now on
    assert "zoom" in assert_list_agrees(client, ["baa", "free-plan"])
    fact.delete()
    assert "zoom" not in assert_list_agrees(client, ["baa"])


def test_an_edit_rolled_back_leaves_the_masks_as_they_were(client, admin):
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    masks = list(Plan.objects.order_by("pk").values_list("need_mask", flat=True))
    with pytest.raises(RuntimeError), transaction.atomic():
        fact.state = State.NO
        fact.save()
        assert list(Plan.objects.order_by("pk").values_list("need_mask", flat=True)) != masks
        raise RuntimeError
    assert list(Plan.objects.order_by("pk").values_list("need_mask", flat=True)) == masks


def test_check_data_reports_a_mask_written_behind_the_receivers_back(seeded):
    Plan.objects.filter(platform__slug="zoom").update(need_mask=0)
    problems = need_mask_problems()
    assert problems and all("need mask" in p for p in problems)
    with pytest.raises(Exception, match="problem"):
        call_command("check_data", verbosity=0)
