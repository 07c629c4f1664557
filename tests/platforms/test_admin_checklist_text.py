"""Editors write the checklist's texts on each criterion in the admin (issue 18)."""

import pytest
from django.utils.html import escape

from platforms.models import Criterion

from .admin_forms import form_data, staff_client

pytestmark = pytest.mark.django_db


def change_url(criterion):
    return f"/admin/platforms/criterion/{criterion.pk}/change/"


def test_the_criterion_form_shows_and_saves_the_checklist_texts_with_history(seeded):
    client, _ = staff_client("hilda")
    criterion = Criterion.objects.get(slug="provider-2fa")
    response = client.get(change_url(criterion))
    html = response.content.decode()
    for name in ("mitigation", "habit", "habit_why"):
        assert f'name="{name}"' in html
    assert escape(criterion.mitigation) in html  # the seed's text, ready to edit
    assert "make check-data lists those without" in html  # its help text says what it is for

    data = form_data(response)
    data["mitigation"] = "Use a password manager and a long, unique password."
    assert client.post(change_url(criterion), data).status_code == 302
    criterion.refresh_from_db()
    assert criterion.mitigation == "Use a password manager and a long, unique password."
    record = criterion.history.latest()
    assert record.history_user.username == "hilda"
    assert record.mitigation == criterion.mitigation
    # The History page's diff names the field that changed and only that one.
    delta = record.diff_against(record.prev_record)
    assert delta.changed_fields == ["mitigation"]
    history = client.get(f"/admin/platforms/criterion/{criterion.pk}/history/")
    assert "password manager" in history.content.decode()


def test_a_habit_without_its_reason_is_refused_with_a_message(seeded):
    client, _ = staff_client("hilda")
    criterion = Criterion.objects.get(slug="waiting-room")
    data = form_data(client.get(change_url(criterion)))
    data.update(habit="Lock the meeting once your client joins", habit_why="")
    response = client.post(change_url(criterion), data)
    assert response.status_code == 200
    assert "A habit needs both its words and why it matters." in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.habit == ""


def test_the_changelist_finds_the_rows_check_data_reports(seeded):
    client, _ = staff_client("hilda")
    Criterion.objects.filter(slug="e2ee").update(mitigation="")
    Criterion.objects.filter(slug="free-plan").update(mitigation="")  # practice: not listed
    response = client.get("/admin/platforms/criterion/?checklist_text=no-mitigation")
    assert response.status_code == 200
    assert [c.slug for c in response.context["cl"].result_list] == ["e2ee"]
