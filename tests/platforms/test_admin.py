import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/platforms/platform/",
    "/admin/platforms/fact/",
    "/admin/platforms/source/",
    "/admin/auth/user/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_refused_to_anonymous_users(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_refused_to_non_staff_users(client, url):
    user = get_user_model().objects.create_user("visitor", password="a long random pw 1")
    client.force_login(user)
    assert client.get(url).status_code == 302


def test_staff_can_open_every_platform_admin_page(admin_client, seeded):
    from platforms.models import Platform

    zoom = Platform.objects.get(slug="zoom")
    for url in [
        *ADMIN_PAGES,
        f"/admin/platforms/platform/{zoom.pk}/change/",
        "/admin/platforms/fact/?verification=stale",
        "/admin/platforms/fact/?sourcing=unsourced",
        "/admin/platforms/criterion/",
        "/admin/platforms/incident/",
        "/admin/platforms/encryptionpath/",
        "/admin/platforms/plan/",
        "/admin/autocomplete/?app_label=platforms&model_name=fact&field_name=sources&term=zoom",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_admin_shows_a_clear_error_for_a_sourceless_fact(admin_client, seeded):
    from platforms.models import Fact

    fact = Fact.objects.filter(state="unknown").select_related("platform", "criterion").first()
    response = admin_client.post(
        f"/admin/platforms/fact/{fact.pk}/change/",
        {
            "platform": fact.platform_id,
            "criterion": fact.criterion_id,
            "state": "yes",
            "plan_scope": "",
            "note": "typed by the admin",
            "verified_on": "2026-01-01",
            "contested_reason": "",
        },
    )
    assert response.status_code == 200
    assert "Cite at least one source" in response.content.decode()
    assert "typed by the admin" in response.content.decode()
    fact.refresh_from_db()
    assert fact.state == "unknown"
