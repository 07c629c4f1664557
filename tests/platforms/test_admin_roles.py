"""Who reaches what: editors keep the data, superusers manage people, nobody else gets in."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from model_bakery import baker

from platforms.models import Fact, Platform

from .admin_forms import form_data, staff_client

pytestmark = pytest.mark.django_db


def a_fact():
    """One fact of one platform: all a test of who reaches which page needs."""
    return baker.make(Fact, state="unknown", verified_on=date(2026, 1, 1))


def every_admin_url(fact):
    platform = fact.platform
    record = platform.history.first()
    return [
        "/admin/",
        "/admin/platforms/",
        "/admin/platforms/platform/",
        "/admin/platforms/fact/",
        "/admin/platforms/source/",
        f"/admin/platforms/platform/{platform.pk}/change/",
        f"/admin/platforms/platform/{platform.pk}/history/",
        f"/admin/platforms/platform/{platform.pk}/history/{record.pk}/",
        f"/admin/platforms/fact/{fact.pk}/delete/",
        "/admin/platforms/fact/?verification=stale",
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/password_change/",
    ]


def test_anonymous_and_non_staff_reach_no_admin_page(client):
    urls = every_admin_url(a_fact())
    visitor = get_user_model().objects.create_user("visitor", password="a long random pw 1")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
    client.force_login(visitor)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def editor():
    return staff_client("edna", superuser=False, groups=[Group.objects.get(name="Editors")])


def test_editors_group_exists_with_add_and_change_but_no_delete():
    perms = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    for model in ["source", "platform", "plan", "criterion", "fact", "encryptionpath", "incident"]:
        assert {f"add_{model}", f"change_{model}"} <= perms
        assert f"delete_{model}" not in perms
    assert not any(p.endswith(("_user", "_group", "_permission")) for p in perms)


def test_an_editor_edits_platform_data(seeded):
    client, user = editor()
    zoom = Platform.objects.get(slug="zoom")
    url = f"/admin/platforms/platform/{zoom.pk}/change/"
    data = form_data(client.get(url))
    data["summary"] = "An editor's summary."
    assert client.post(url, data).status_code == 302
    zoom.refresh_from_db()
    assert zoom.summary == "An editor's summary."
    assert zoom.history.latest().history_user == user


def test_an_editor_cannot_reach_user_management():
    client, user = editor()
    admin = get_user_model().objects.create_superuser("root", "root@example.org", None)
    for url in [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{admin.pk}/change/",
        f"/admin/auth/user/{user.pk}/change/",
        "/admin/auth/group/",
    ]:
        assert client.get(url).status_code == 403, url
    assert "/admin/auth/" not in client.get("/admin/").content.decode()


def test_an_editor_cannot_delete():
    client, _ = editor()
    fact = a_fact()
    assert client.get(f"/admin/platforms/fact/{fact.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/platforms/fact/{fact.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    listing = client.get("/admin/platforms/fact/")
    assert "delete_selected" not in listing.content.decode()
    response = client.post(
        "/admin/platforms/fact/",
        {"action": "delete_selected", "_selected_action": [fact.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Fact.objects.filter(pk=fact.pk).exists()


def test_nobody_deletes_a_platform_or_criterion_but_a_superuser_deletes_a_fact(seeded):
    client, _ = staff_client("root")
    zoom = Platform.objects.get(slug="zoom")
    assert client.get(f"/admin/platforms/platform/{zoom.pk}/delete/").status_code == 403
    criterion = zoom.facts.first().criterion
    assert client.get(f"/admin/platforms/criterion/{criterion.pk}/delete/").status_code == 403
    fact = zoom.facts.first()
    version = zoom.version
    response = client.post(f"/admin/platforms/fact/{fact.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Fact.objects.filter(pk=fact.pk).exists()
    assert fact.history.latest().history_type == "-"
    zoom.refresh_from_db()
    assert zoom.version == version + 1  # open forms of the platform are now stale


def test_an_editor_edits_a_facts_citations_and_plan_states_inline(seeded):
    """Citations and per-plan states are part of a fact's page: an Editor sees, changes and
    removes them there (the group's permissions on them), though never deletes facts."""
    client, user = editor()
    fact = (
        Fact.objects.filter(citations__isnull=False, plan_states__isnull=False).distinct().first()
    )
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    page = client.get(url)
    data = form_data(page)
    prefixes = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    citation = next(p for p in prefixes if "citation" in p)
    plan_state = next(p for p in prefixes if "plan" in p)
    assert int(data[f"{citation}-TOTAL_FORMS"]) >= 1
    assert int(data[f"{plan_state}-TOTAL_FORMS"]) >= 1
    data[f"{citation}-0-quote"] = "An editor's corrected quote."
    data["verified_on"] = date.today().isoformat()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fact.citations.filter(quote="An editor's corrected quote.").exists()
    assert fact.history.latest().history_user == user
