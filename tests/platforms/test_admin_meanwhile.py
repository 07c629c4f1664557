"""Two admins, one platform page: what the second save says about the first one's work (rows
deleted meanwhile, changes taken in)."""

import pytest

from platforms.models import Criterion, Fact, Incident, Platform

from .admin_forms import form_data, inline_prefix, staff_client

GONE = "someone else deleted this"


def change_url(platform):
    return f"/admin/platforms/platform/{platform.pk}/change/"


def two_forms(platform):
    alice, _ = staff_client("alice")
    bob, _ = staff_client("bob")
    return (alice, form_data(alice.get(change_url(platform)))), (
        bob,
        form_data(bob.get(change_url(platform))),
    )


@pytest.fixture
def zoom_with_deleted_incident(seeded):
    zoom = Platform.objects.get(slug="zoom")
    incident = Incident.objects.filter(platform=zoom).order_by("pk").first()
    (alice, alices_form), (bob, bobs_form) = two_forms(zoom)
    row = inline_prefix(alices_form, "incidents", "id", incident.pk)
    alices_form[f"{row}-DELETE"] = "on"
    assert alice.post(change_url(zoom), alices_form).status_code == 302
    assert not Incident.objects.filter(pk=incident.pk).exists()
    return zoom, incident, bob, bobs_form, inline_prefix(bobs_form, "incidents", "id", incident.pk)


@pytest.mark.django_db
def test_a_row_deleted_meanwhile_and_left_alone_does_not_block_the_save(
    zoom_with_deleted_incident,
):
    zoom, incident, bob, bobs_form, _ = zoom_with_deleted_incident
    bobs_form["summary"] = "Bob's careful new summary."
    response = bob.post(change_url(zoom), bobs_form)
    html = response.content.decode()
    assert response.status_code == 302, html[html.find("error-summary") :][:1500]
    zoom.refresh_from_db()
    assert zoom.summary == "Bob's careful new summary."
    assert not Incident.objects.filter(pk=incident.pk).exists()  # Alice's deletion stands


@pytest.mark.django_db
def test_a_row_deleted_meanwhile_and_edited_is_refused_in_plain_words(zoom_with_deleted_incident):
    zoom, incident, bob, bobs_form, row = zoom_with_deleted_incident
    bobs_form[f"{row}-title"] = "Bob's corrected title"
    bobs_form["summary"] = "Bob's careful new summary."
    response = bob.post(change_url(zoom), bobs_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert GONE in html
    assert "Select a valid choice" not in html
    assert "Bob&#x27;s corrected title" in html or "Bob's corrected title" in html  # kept
    zoom.refresh_from_db()
    assert zoom.summary != "Bob's careful new summary."  # nothing saved from a refusal


@pytest.mark.django_db
def test_a_merged_save_says_which_of_the_others_changes_it_kept(seeded):
    zoom = Platform.objects.get(slug="zoom")
    waiting_room = Criterion.objects.get(slug="waiting-room")
    (alice, alices_form), (bob, bobs_form) = two_forms(zoom)
    fact = inline_prefix(alices_form, "facts", "criterion", waiting_room.pk)
    alices_form[f"{fact}-note"] = "Alice checked the waiting room settings page."
    alices_form["vendor"] = "Alice's vendor"
    assert alice.post(change_url(zoom), alices_form).status_code == 302

    bobs_form["summary"] = "Bob's careful new summary."
    response = bob.post(change_url(zoom), bobs_form, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    kept = [m for m in messages if "they were kept" in m]
    assert len(kept) == 1, messages
    assert "Vendor" in kept[0]
    assert f"{Fact.objects.get(platform=zoom, criterion=waiting_room)}: note" in kept[0]
    assert "Summary" not in kept[0]  # his own change is not theirs


@pytest.mark.django_db
def test_a_save_of_an_unchanged_page_says_nothing_was_merged(seeded):
    zoom = Platform.objects.get(slug="zoom")
    (alice, alices_form), _ = two_forms(zoom)
    alices_form["summary"] = "Alice's summary."
    response = alice.post(change_url(zoom), alices_form, follow=True)
    assert not [m for m in response.context["messages"] if "they were kept" in str(m)]
