"""A fact's states on plans are part of what it claims: changing them asks for the check date,
as changing its state or its citations does."""

import datetime

import pytest
from django.utils import timezone

from platforms.models import PlanState

from .admin_forms import form_data, staff_client

pytestmark = pytest.mark.django_db


def an_old_plan_state():
    state = PlanState.objects.select_related("fact").exclude(state="unknown").first()
    state.fact.verified_on = timezone.localdate() - datetime.timedelta(days=40)
    state.fact.save()
    return state


def test_changing_a_state_on_a_plan_asks_for_the_check_date(seeded):
    state = an_old_plan_state()
    admin, _ = staff_client("alice")
    url = f"/admin/platforms/fact/{state.fact_id}/change/"
    data = form_data(admin.get(url))
    prefix = next(k for k, v in data.items() if k.endswith("-plan") and v == str(state.plan_id))
    prefix = prefix.removesuffix("-plan")
    data[f"{prefix}-state"] = "unknown"
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "You changed the states on plans: confirm when the fact was checked" in (
        response.content.decode()
    )
    assert PlanState.objects.get(pk=state.pk).state == state.state  # nothing saved yet

    again = form_data(response)
    again["verified_on"] = timezone.localdate().isoformat()
    assert admin.post(url, again).status_code == 302
    assert PlanState.objects.get(pk=state.pk).state == "unknown"


def test_a_fact_page_saved_without_plan_changes_asks_nothing(seeded):
    state = an_old_plan_state()
    admin, _ = staff_client("alice")
    url = f"/admin/platforms/fact/{state.fact_id}/change/"
    data = form_data(admin.get(url))
    data["note"] = (data.get("note") or "") + " Re-read."
    response = admin.post(url, data)
    assert response.status_code == 302
