"""Every save records who, when and what; the History page shows the diff and can revert."""

import pytest

from platforms.models import Criterion, Fact, Platform, Source

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


def test_history_page_shows_who_and_a_field_by_field_diff(seeded):
    client, _ = staff_client("hilda")
    fact = Fact.objects.filter(state="unknown", sources__isnull=True).first()
    source = Source.objects.first()
    edit_fact(client, fact, state="partial", sources=[str(source.pk)], note="Checked the docs.")
    record = fact.history.latest()
    assert record.history_user.username == "hilda"
    assert list(record.sources.values_list("source_id", flat=True)) == [source.pk]

    response = client.get(f"/admin/platforms/fact/{fact.pk}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "hilda" in html
    assert "<strong>State:</strong> <del>Unknown</del> → <ins>Partly</ins>" in html
    assert "<strong>Note:</strong>" in html and "Checked the docs." in html
    assert "<strong>Sources:</strong>" in html and str(source) in html
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


def test_reverting_a_fact_brings_back_its_sources(seeded):
    client, _ = staff_client("hilda")
    fact = Fact.objects.filter(sources__isnull=False).distinct().first()
    old_sources = set(fact.sources.values_list("pk", flat=True))
    old_version = fact.history.latest()
    newer = Source.objects.exclude(pk__in=old_sources).first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(client.get(url))
    data["sources"] = [str(newer.pk)]
    data["note"] = "Re-sourced, wrongly."
    assert client.post(url, data).status_code == 302
    assert set(fact.sources.values_list("pk", flat=True)) == {newer.pk}

    revert_url = f"/admin/platforms/fact/{fact.pk}/history/{old_version.pk}/"
    page = client.get(revert_url)
    assert page.status_code == 200
    reverted = form_data(page)
    assert set(map(int, reverted["sources"])) == old_sources
    assert client.post(revert_url, reverted).status_code == 302
    fact.refresh_from_db()
    assert set(fact.sources.values_list("pk", flat=True)) == old_sources
    assert fact.note == old_version.note
