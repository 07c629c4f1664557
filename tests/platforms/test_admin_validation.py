"""Bad admin input gets a clear error next to the field, and nothing typed is lost."""

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

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
        "kind": "vendor",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://vendor.example/paper.pdf"}, "url", "Enter a valid URL."),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"accessed_on": TOMORROW}, "accessed_on", "This date is in the future."),
        ({"published_on": TOMORROW}, "published_on", "This date is in the future."),
        ({"kind": ""}, "kind", "This field is required."),
        (
            {"kind": "blog"},
            "kind",
            "Select a valid choice. blog is not one of the available choices.",
        ),
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
    source = Source.objects.get(title="Security white paper")
    assert (source.url, source.kind) == ("https://vendor.example/a", "vendor")


def fact_form(admin, fact):
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    return url, form_data(admin.get(url))


NEEDS_QUOTED_CITATION = (
    "A fact other than “Unknown” needs at least one citation with the quoted sentence that "
    "supports it."
)


def a_quoted_claim():
    return Fact.objects.exclude(pk__in=Fact.objects.unsourced()).filter(state="yes").first()


def citation_errors(response):
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "citations"
    )
    return formset.non_form_errors(), {f.prefix: f.errors for f in formset.forms if f.errors}


@pytest.mark.parametrize("confirm_date", [True, False])
def test_a_claim_needs_a_quoted_citation_on_the_fact_page(admin, seeded, confirm_date):
    """Removing every citation of a claim is refused with the reason, whether or not the
    editor also confirmed the check date (which changing citations asks for)."""
    fact = a_quoted_claim()
    fact.verified_on = timezone.localdate() - datetime.timedelta(days=40)
    fact.save()
    url, data = fact_form(admin, fact)
    cited = int(data["citations-INITIAL_FORMS"])
    assert cited >= 1
    for i in range(cited):
        data[f"citations-{i}-DELETE"] = "on"
    data["note"] = "typed by the admin"
    if confirm_date:
        data["verified_on"] = timezone.localdate().isoformat()
    response = admin.post(url, data)
    assert response.status_code == 200
    non_form, _ = citation_errors(response)
    assert non_form[0] == f"{NEEDS_QUOTED_CITATION} Add one below, or set the state to “Unknown”."
    assert any("confirm when the fact was checked" in e for e in non_form) != confirm_date
    html = response.content.decode()
    assert NEEDS_QUOTED_CITATION in html and "typed by the admin" in html
    assert fact.citations.count() == cited


def test_a_citation_without_its_quote_is_refused(admin, seeded):
    fact = a_quoted_claim()
    url, data = fact_form(admin, fact)
    for i in range(int(data["citations-INITIAL_FORMS"])):
        data[f"citations-{i}-quote"] = "   "
    data["verified_on"] = timezone.localdate().isoformat()
    response = admin.post(url, data)
    assert response.status_code == 200
    non_form, forms = citation_errors(response)
    assert forms["citations-0"]["quote"] == ["This field is required."]
    assert NEEDS_QUOTED_CITATION in non_form[0]
    assert not fact.citations.filter(quote="").exists()


def test_a_fact_verified_in_the_future_is_refused(admin, seeded):
    fact = a_quoted_claim()
    url, data = fact_form(admin, fact)
    data["verified_on"] = TOMORROW
    response = admin.post(url, data)
    assert response.context["adminform"].form.errors["verified_on"] == [
        "This date is in the future."
    ]


def test_contested_needs_a_reason(admin, seeded):
    fact = Fact.objects.exclude(pk__in=Fact.objects.unsourced()).filter(contested=False).first()
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
    unknown = Fact.objects.unsourced().filter(platform=zoom, state="unknown").first()
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
    # Its citations are edited on the fact's own page, so the inline says where to go.
    assert errors[prefix]["state"] == [
        escape(
            f"{NEEDS_QUOTED_CITATION} Add it on the fact's own page (“edit citations”), "
            "where the state can be changed with it, or keep “Unknown”."
        )
    ]
    assert errors[other]["verified_on"] == ["This date is in the future."]
    assert response.context["adminform"].form.errors["website"] == ["Enter a valid URL."]
    assert "claimed in the inline" in response.content.decode()
    unknown.refresh_from_db()
    assert unknown.state == "unknown"
