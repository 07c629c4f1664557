"""Issue 17 in the admin, through the test client: the error summary, facts grouped by
criterion group, confirming the check date, new sources dated today, whole-word history."""

import datetime

import pytest
from django.utils import timezone

from platforms.models import Criterion, Fact, Platform

from .admin_forms import form_data, inline_prefix, staff_client

pytestmark = pytest.mark.django_db


def platform_url(platform):
    return f"/admin/platforms/platform/{platform.pk}/change/"


def an_old_unknown_fact(platform):
    fact = Fact.objects.filter(platform=platform, state="unknown").first()
    fact.verified_on = timezone.localdate() - datetime.timedelta(days=40)
    fact.save()
    return fact


def test_the_platform_form_groups_its_facts_by_criterion_group(seeded):
    zoom = Platform.objects.get(slug="zoom")
    admin, _ = staff_client("alice")
    html = admin.get(platform_url(zoom)).content.decode()
    groups = {c.group for c in Criterion.objects.filter(facts__platform=zoom)}
    for group in groups:
        assert f'<details class="fact-group" id="facts-group-{group}">' in html
    label = dict(Criterion.Group.choices)[next(iter(groups))]
    assert f'<span class="fact-group-label">{label}</span>' in html
    # Still one form per fact, and "Add another" still has its blank copy.
    assert html.count('class="inline-related has_original"') >= zoom.facts.count()
    assert 'id="facts-empty"' in html
    assert 'href="/static/css/admin.css"' in html


def test_an_error_opens_its_group_and_the_summary_links_to_the_field(seeded):
    zoom = Platform.objects.get(slug="zoom")
    admin, _ = staff_client("alice")
    data = form_data(admin.get(platform_url(zoom)))
    fact = Fact.objects.filter(platform=zoom).select_related("criterion").first()
    prefix = inline_prefix(data, "facts", "criterion", fact.criterion.pk)
    data[f"{prefix}-verified_on"] = "not a date"
    data["website"] = "nonsense with spaces"
    response = admin.post(platform_url(zoom), data)
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('<div class="error-summary"')[1].split("</div>")[0]
    assert "2 problems to fix" in summary
    assert 'href="#id_website"' in summary
    assert f'href="#id_{prefix}-verified_on"' in summary
    assert f'<details class="fact-group" id="facts-group-{fact.criterion.group}" open>' in html
    assert html.index("error-summary") < html.index('id="facts-group"')


def test_changing_a_state_asks_to_confirm_the_check_date_set_to_today(seeded):
    zoom = Platform.objects.get(slug="zoom")
    fact = an_old_unknown_fact(zoom)
    old_date = fact.verified_on
    admin, _ = staff_client("alice")
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(admin.get(url))
    data["plan_scope"] = "all plans"
    data["state"] = "partial"
    data["citations-0-source"] = str(zoom.facts.exclude(citations=None).first().sources.first().pk)
    data["citations-0-quote"] = "A quoted sentence for the test."
    data["citations-0-seen_on"] = timezone.localdate().isoformat()
    response = admin.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You changed the state: confirm when it was checked." in html
    again = form_data(response)
    assert again["verified_on"] == timezone.localdate().isoformat()
    fact.refresh_from_db()
    assert (fact.state, fact.verified_on) == ("unknown", old_date)
    assert admin.post(url, again).status_code == 302
    fact.refresh_from_db()
    assert (fact.state, fact.verified_on) == ("partial", timezone.localdate())


def test_the_confirmation_keeps_another_date_the_editor_chose(seeded):
    zoom = Platform.objects.get(slug="zoom")
    fact = an_old_unknown_fact(zoom)
    admin, _ = staff_client("alice")
    data = form_data(admin.get(platform_url(zoom)))
    prefix = inline_prefix(data, "facts", "criterion", fact.criterion.pk)
    data[f"{prefix}-state"] = "no"
    response = admin.post(platform_url(zoom), data)
    assert "You changed the state: confirm when it was checked." in response.content.decode()
    again = form_data(response)
    assert again[f"{prefix}-verified_on"] == timezone.localdate().isoformat()
    chosen = timezone.localdate() - datetime.timedelta(days=3)
    again[f"{prefix}-verified_on"] = chosen.isoformat()
    response = admin.post(platform_url(zoom), again)
    # "no" needs a quoted citation first; the date is no longer what is asked about.
    assert "confirm when it was checked" not in response.content.decode()


def test_changing_citations_asks_for_the_check_date(seeded):
    fact = Fact.objects.exclude(state="unknown").exclude(citations=None).first()
    fact.verified_on = timezone.localdate() - datetime.timedelta(days=40)
    fact.save()
    admin, _ = staff_client("alice")
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(admin.get(url))
    data["citations-0-quote"] = data["citations-0-quote"] + " (re-read)"
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "You changed the citations: confirm when the fact was checked" in (
        response.content.decode()
    )
    again = form_data(response)
    again["verified_on"] = timezone.localdate().isoformat()
    assert admin.post(url, again).status_code == 302


def test_a_new_source_is_accessed_today_by_default(seeded):
    admin, _ = staff_client("alice")
    response = admin.get("/admin/platforms/source/add/")
    field = response.context["adminform"].form["accessed_on"]
    assert field.value() == timezone.localdate()


def test_the_history_page_shows_long_texts_in_whole_words(seeded):
    fact = Fact.objects.filter(platform__slug="zoom").first()
    words = "A wide range of settings decide whether the session is safe in default mode"
    fact.note = " ".join([words] * 4)
    fact._change_reason = "first"
    fact.save()
    fact.note = fact.note.replace("default mode", "end-to-end mode", 1)
    fact._change_reason = "second"
    fact.save()
    admin, _ = staff_client("alice")
    html = admin.get(f"/admin/platforms/fact/{fact.pk}/history/").content.decode()
    assert "chars]" not in html
    assert "<mark> end-to-end</mark>" in html or "<mark>end-to-end</mark>" in html
    assert words in html


def test_the_review_panel_headers_keep_whole_words(seeded):
    admin, _ = staff_client("alice")
    html = admin.get("/admin/").content.decode()
    assert 'id="review-panel"' in html and 'href="/static/css/admin.css"' in html
