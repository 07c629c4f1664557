import pytest

pytestmark = pytest.mark.django_db


def test_staff_can_open_every_platform_admin_page(admin_client, seeded):
    """Who may not open them: tests/platforms/test_admin_roles.py."""
    from platforms.models import Platform

    zoom = Platform.objects.get(slug="zoom")
    for url in [
        "/admin/",
        "/admin/platforms/platform/",
        "/admin/platforms/fact/",
        "/admin/platforms/source/",
        "/admin/auth/user/",
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

    from .admin_forms import form_data

    fact = Fact.objects.unsourced().filter(state="unknown").first()
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(admin_client.get(url))
    assert data["citations-TOTAL_FORMS"] == "1"  # the blank one to add a citation in
    data.update(state="yes", note="typed by the admin", verified_on="2026-01-01")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "A fact other than “Unknown” needs at least one citation with the quoted sentence "
        "that supports it. Add one below, or set the state to “Unknown”."
    ) in html
    assert "typed by the admin" in html
    fact.refresh_from_db()
    assert fact.state == "unknown"
