"""Every save records who, when and what; the History page shows the diff and can revert."""

import pytest
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape

from platforms.models import Citation, Criterion, Fact, Plan, Platform, Source

from .admin_forms import form_data, staff_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Source, Platform, Criterion, Fact])
def test_the_seed_is_recorded_once_with_its_sources(seeded, model):
    assert model.history.count() == model.objects.count()


def edit_fact(client, fact, **changes):
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def cite(data, *sources, quote="The vendor says so on this page."):
    """The fact page's form data with its citations replaced by quotes from `sources`."""
    cited = int(data["citations-INITIAL_FORMS"])
    for i in range(cited):
        data[f"citations-{i}-DELETE"] = "on"
    for i, source in enumerate(sources, start=cited):
        data[f"citations-{i}-source"] = str(source.pk)
        data[f"citations-{i}-quote"] = f"{quote} ({source.publisher})"
        data[f"citations-{i}-seen_on"] = timezone.localdate().isoformat()
    data["citations-TOTAL_FORMS"] = str(cited + len(sources))
    data["verified_on"] = timezone.localdate().isoformat()  # citations changed: checked today
    return data


def citations(fact):
    return set(fact.citations.values_list("pk", "source_id", "quote", "seen_on"))


def test_history_page_shows_who_and_a_field_by_field_diff(seeded):
    client, _ = staff_client("hilda")
    fact = Fact.objects.unsourced().filter(state="unknown").first()
    source = Source.objects.first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = cite(form_data(client.get(url)), source, quote="Checked in “the docs” & more.")
    data.update(state="partial", note="Checked the docs.")
    assert client.post(url, data).status_code == 302
    record = fact.history.latest()
    assert record.history_user.username == "hilda"
    citation = fact.citations.get()
    assert citation.history.latest().history_user.username == "hilda"

    response = client.get(f"/admin/platforms/fact/{fact.pk}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "hilda" in html
    assert "<strong>State:</strong> <del>Unknown</del> → <ins>Partly</ins>" in html
    unmarked = html.replace("<mark>", "").replace("</mark>", "")  # long notes mark words
    assert "<strong>Note:</strong>" in html and "→ <ins>Checked the docs.</ins>" in unmarked
    # The citation added with this version, with its quote (escaped once) and date seen.
    assert "<strong>Citations:</strong> <del>—</del> → <ins>" in html
    assert escape(str(source)) in html
    assert "“Checked in “the docs” &amp; more. (" in html
    assert "style=" not in html.split('id="change-history"')[1]


def test_revert_to_an_earlier_version(seeded):
    client, _ = staff_client("hilda")
    zoom = Platform.objects.get(slug="zoom")
    first = zoom.history.earliest()
    url = f"/admin/platforms/platform/{zoom.pk}/change/"
    data = form_data(client.get(url))
    data["summary"] = "A summary that turned out wrong."
    assert client.post(url, data).status_code == 302

    revert_url = f"/admin/platforms/platform/{zoom.pk}/history/{first.pk}/"
    page = client.get(revert_url)
    assert page.status_code == 200
    assert "Revert" in page.content.decode()
    response = client.post(revert_url, form_data(page))
    assert response.status_code == 302
    zoom.refresh_from_db()
    assert zoom.summary == first.summary
    assert zoom.history.count() == 3
    assert zoom.history.latest().history_user.username == "hilda"


def test_a_revert_form_opened_before_another_save_is_refused(seeded):
    client, _ = staff_client("hilda")
    other, _ = staff_client("otto")
    zoom = Platform.objects.get(slug="zoom")
    revert_url = f"/admin/platforms/platform/{zoom.pk}/history/{zoom.history.earliest().pk}/"
    revert_form = form_data(client.get(revert_url))
    url = f"/admin/platforms/platform/{zoom.pk}/change/"
    data = form_data(other.get(url))
    data["vendor"] = "Otto's fresh vendor name"
    assert other.post(url, data).status_code == 302

    response = client.post(revert_url, revert_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "someone else saved this platform after you opened it" in html
    assert "Otto&#x27;s fresh vendor name" in html
    zoom.refresh_from_db()
    assert zoom.vendor == "Otto's fresh vendor name"


def test_reverting_a_fact_brings_back_its_citations_and_plan_states(seeded):
    client, _ = staff_client("hilda")
    fact = (
        Fact.objects.filter(citations__isnull=False, plan_states__isnull=False).distinct().first()
    )
    old_citations = citations(fact)
    old_states = set(fact.plan_states.values_list("pk", "plan_id", "state", "detail"))
    old_version = fact.history.latest()
    newer = Source.objects.exclude(citations__fact=fact).first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = cite(form_data(client.get(url)), newer)
    data["note"] = "Re-sourced, wrongly."
    data["plan_states-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert {c[1] for c in citations(fact)} == {newer.pk}
    assert fact.plan_states.count() == len(old_states) - 1

    revert_url = f"/admin/platforms/fact/{fact.pk}/history/{old_version.pk}/"
    page = client.get(revert_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Citations in this version" in html and "States on plans in this version" in html
    for _pk, _source, quote, _seen in old_citations:
        assert escape(quote) in html
    assert escape(str(newer)) not in html.split('class="version-rows"')[1]
    assert client.post(revert_url, form_data(page)).status_code == 302
    fact.refresh_from_db()
    assert fact.note == old_version.note
    assert citations(fact) == old_citations  # the same rows, quotes and dates
    assert set(fact.plan_states.values_list("pk", "plan_id", "state", "detail")) == old_states
    assert not fact.citations.filter(source=newer).exists()
    # The revert is recorded: who brought each row back, and the History page says so.
    restored = fact.citations.first().history.latest()
    assert restored.history_user.username == "hilda"
    assert restored.history_change_reason == f"reverted with version #{old_version.pk}"
    history = client.get(f"/admin/platforms/fact/{fact.pk}/history/").content.decode()
    assert history.count("<strong>Citations:</strong>") == 2  # re-sourced, then reverted


def test_reverting_a_plan_brings_back_its_price_citations(seeded):
    client, _ = staff_client("hilda")
    plan = Plan.objects.filter(citations__isnull=False).distinct().first()
    old = citations(plan)
    old_version = plan.history.latest()
    url = f"/admin/platforms/plan/{plan.pk}/change/"
    data = form_data(client.get(url))
    data["citations-0-quote"] = "A misread price."
    assert client.post(url, data).status_code == 302
    assert plan.citations.filter(quote="A misread price.").exists()

    revert_url = f"/admin/platforms/plan/{plan.pk}/history/{old_version.pk}/"
    assert client.post(revert_url, form_data(client.get(revert_url))).status_code == 302
    assert citations(plan) == old


def test_a_revert_says_which_citations_cannot_come_back(seeded):
    """A source deleted since the version (possible once nothing cites it) cannot be cited
    again: the revert restores the rest and names what it left out."""
    client, _ = staff_client("hilda")
    once = Source.objects.annotate(cited=Count("citations")).filter(cited=1)
    gone = Citation.objects.filter(source__in=once, fact__isnull=False).first()
    fact = gone.fact
    old_version = fact.history.latest()
    others = {c for c in citations(fact) if c[0] != gone.pk}
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = cite(form_data(client.get(url)), Source.objects.exclude(citations__fact=fact).first())
    assert client.post(url, data).status_code == 302
    gone.source.delete()  # nothing cites it now

    revert_url = f"/admin/platforms/fact/{fact.pk}/history/{old_version.pk}/"
    page = client.get(revert_url)
    assert "(a deleted source)" in page.content.decode()
    response = client.post(revert_url, form_data(page), follow=True)
    assert response.status_code == 200
    assert "Not brought back, because their source or plan was deleted" in (
        response.content.decode()
    )
    assert citations(fact) == others
