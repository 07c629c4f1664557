"""Bad admin input gets a clear error next to the field, and nothing typed is lost."""

import datetime

import pytest
from django.utils import timezone

from platforms.models import Criterion, Fact, Platform, Source

from .admin_forms import form_data, inline_prefix, staff_client

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def admin(db):
    return staff_client("root")[0]


def source_form(**changes):
    data = {
        "url": "https://vendor.example/security",
        "title": "Security white paper",
        "publisher": "Vendor",
        "published_on": "2024-05-01",
        "accessed_on": "2026-01-10",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://vendor.example/paper.pdf"}, "url", "Enter a valid URL."),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"accessed_on": TOMORROW}, "accessed_on", "This date is in the future."),
        ({"published_on": TOMORROW}, "published_on", "This date is in the future."),
    ],
)
def test_source_errors_sit_next_to_their_field(admin, changes, field, message):
    response = admin.post("/admin/platforms/source/add/", source_form(**changes))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors[field] == [message]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html  # the admin renders it beside the input
    assert "Security white paper" in html  # the rest of the input stays
    assert not Source.objects.filter(title="Security white paper").exists()


def test_a_good_source_is_saved_as_https(admin):
    response = admin.post("/admin/platforms/source/add/", source_form(url="vendor.example/a"))
    assert response.status_code == 302
    assert Source.objects.get(title="Security white paper").url == "https://vendor.example/a"


def fact_form(admin, fact):
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    return url, form_data(admin.get(url))


def test_a_claim_needs_a_source_on_the_fact_page(admin, seeded):
    fact = Fact.objects.filter(sources__isnull=False, state="yes").first()
    url, data = fact_form(admin, fact)
    data.pop("sources")
    data["note"] = "typed by the admin"
    response = admin.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sources"] == [
        "Cite at least one source, or set the state to “Unknown”."
    ]
    assert "typed by the admin" in response.content.decode()
    assert fact.sources.exists()


def test_a_fact_verified_in_the_future_is_refused(admin, seeded):
    fact = Fact.objects.filter(sources__isnull=False).first()
    url, data = fact_form(admin, fact)
    data["verified_on"] = TOMORROW
    response = admin.post(url, data)
    assert response.context["adminform"].form.errors["verified_on"] == [
        "This date is in the future."
    ]


def test_contested_needs_a_reason(admin, seeded):
    fact = Fact.objects.filter(sources__isnull=False, contested=False).first()
    url, data = fact_form(admin, fact)
    data["contested"] = "on"
    data["contested_reason"] = "  "
    response = admin.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["contested_reason"]
    fact.refresh_from_db()
    assert not fact.contested


def test_the_platform_pages_inline_facts_use_the_same_rules(admin, seeded):
    zoom = Platform.objects.get(slug="zoom")
    unknown = Fact.objects.filter(platform=zoom, state="unknown", sources__isnull=True).first()
    url = f"/admin/platforms/platform/{zoom.pk}/change/"
    data = form_data(admin.get(url))
    prefix = inline_prefix(data, "facts", "criterion", unknown.criterion_id)
    data[f"{prefix}-state"] = "yes"
    data[f"{prefix}-note"] = "claimed in the inline"
    other = inline_prefix(
        data, "facts", "criterion", Criterion.objects.exclude(pk=unknown.criterion_id).first().pk
    )
    data[f"{other}-verified_on"] = TOMORROW
    data["website"] = "ftp://zoom.example"
    response = admin.post(url, data)
    assert response.status_code == 200
    facts = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "facts"
    )
    errors = {form.prefix: form.errors for form in facts.forms if form.errors}
    assert errors[prefix]["sources"] == [
        "Cite at least one source, or set the state to “Unknown”."
    ]
    assert errors[other]["verified_on"] == ["This date is in the future."]
    assert response.context["adminform"].form.errors["website"] == ["Enter a valid URL."]
    assert "claimed in the inline" in response.content.decode()
    unknown.refresh_from_db()
    assert unknown.state == "unknown"
