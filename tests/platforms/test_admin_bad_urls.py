"""Staff typing or following a broken admin address get a 404 or a 400, never a 500.

Both tests failed on the code before platforms.admin.whole_number and
date_drilldown_is_valid (issue 16, item 4): /history/abc/ and a year of
99999999999999999999 in a date drill-down were 500s.
"""

import pytest
from django.contrib import admin

from platforms.models import Platform

from .admin_forms import staff_client

pytestmark = pytest.mark.django_db

MODELS = sorted(
    model._meta.model_name
    for model in admin.site._registry
    if model._meta.app_label == "platforms"
)
HUGE = "99999999999999999999"


def test_every_platforms_model_is_checked():
    assert len(MODELS) == 7, MODELS


@pytest.mark.parametrize("model", MODELS)
def test_broken_history_addresses_are_404s(seeded, model):
    client, _ = staff_client("alice")
    for tail in [
        "1/history/abc/",
        "abc/history/1/",
        f"1/history/{HUGE}/",
        f"{HUGE}/history/1/",
        "1/history/-1/",
        "1/history/1.5/",
        "1/history/%C2%B2/",
    ]:
        response = client.get(f"/admin/platforms/{model}/{tail}")
        assert response.status_code == 404, (tail, response.status_code)
    for tail in ["abc/history/", f"{HUGE}/history/", "abc/change/", f"{HUGE}/change/"]:
        response = client.get(f"/admin/platforms/{model}/{tail}")
        assert response.status_code in {302, 404}, (tail, response.status_code)


DRILLDOWNS = {"source": "accessed_on", "fact": "verified_on", "incident": "disclosed_on"}


@pytest.mark.parametrize("model,field", DRILLDOWNS.items())
def test_bad_date_drilldowns_are_400s(seeded, model, field):
    client, _ = staff_client("alice")
    url = f"/admin/platforms/{model}/"
    for query in [
        f"{field}__year={HUGE}",
        f"{field}__year=2025&{field}__month={HUGE}",
        f"{field}__year=2025&{field}__month=2&{field}__day={HUGE}",
        f"{field}__year=abc",
        f"{field}__year=2025&{field}__month=13",
        f"{field}__month=2",
    ]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (query, response.status_code)
        assert "That request couldn’t be understood" in response.content.decode()
    for query in [
        "",
        f"{field}__year=2025",
        f"{field}__year=2025&{field}__month=2",
        f"{field}__year=2025&{field}__month=2&{field}__day=28",
    ]:
        assert client.get(f"{url}?{query}").status_code == 200, query


def test_a_real_version_still_opens(seeded):
    client, _ = staff_client("alice")
    zoom = Platform.objects.get(slug="zoom")
    version = zoom.history.first()
    url = f"/admin/platforms/platform/{zoom.pk}/history/{version.history_id}/"
    assert client.get(url).status_code == 200
