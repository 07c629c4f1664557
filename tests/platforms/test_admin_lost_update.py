"""Two admins, one platform: the second save of a stale version takes in what the first saved
and is refused only where both changed the same row (or platform field); nothing is lost."""

import threading
from datetime import date

import pytest
from django.db import connection
from model_bakery import baker

from platforms.models import Criterion, Fact, Plan, Platform

from .admin_forms import form_data, inline_prefix, staff_client

CONFLICT = "someone else saved this platform after you opened it"


def change_url(platform):
    return f"/admin/platforms/platform/{platform.pk}/change/"


@pytest.fixture
def platform(db):
    """A platform with two facts and a plan, nothing else: its change page has every kind of
    row the version check merges, and renders in a fraction of the time the seed's Zoom (28
    facts, their citations and plan states) takes."""
    platform = baker.make(
        Platform,
        name="Acme Video",
        slug="acme-video",
        vendor="Acme",
        website="https://acme.example",
        summary="Video calls.",
    )
    for n, slug in enumerate(["waiting-room", "e2ee"]):
        criterion = baker.make(Criterion, slug=slug, recommended="on", order=n)
        baker.make(
            Fact,
            platform=platform,
            criterion=criterion,
            state="unknown",
            verified_on=date(2026, 1, 1),
        )
    baker.make(Plan, platform=platform, name="Basic", slug="basic", free=True, order=0)
    return platform


def open_twice(url):
    """Alice's and Bob's staff clients, each with the form at `url` as it was when opened."""
    alice, _ = staff_client("alice")
    bob, _ = staff_client("bob")
    return alice, bob, form_data(alice.get(url)), form_data(bob.get(url))


@pytest.mark.django_db
def test_two_admins_changing_different_rows_of_one_platform_both_keep_their_changes(platform):
    waiting_room = Criterion.objects.get(slug="waiting-room")
    other = Fact.objects.filter(platform=platform).exclude(criterion=waiting_room).first()
    alice, bob, alices_form, bobs_form = open_twice(change_url(platform))

    # Alice changes a fact in the inline and the vendor, and saves first.
    fact = inline_prefix(alices_form, "facts", "criterion", waiting_room.pk)
    alices_form[f"{fact}-note"] = "Alice checked the waiting room settings page."
    alices_form["vendor"] = "Alice's vendor"
    assert alice.post(change_url(platform), alices_form).status_code == 302

    # Bob, still on the version he opened (his form holds the old note and vendor), edits
    # the summary and another fact: nothing of his overlaps hers, so it is saved.
    bobs_fact = inline_prefix(bobs_form, "facts", "criterion", other.criterion_id)
    bobs_form[f"{bobs_fact}-note"] = "Bob's note on another fact."
    bobs_form["summary"] = "Bob's careful new summary."
    response = bob.post(change_url(platform), bobs_form)
    assert response.status_code == 302, response.content.decode()
    platform.refresh_from_db()
    assert (platform.summary, platform.vendor) == ("Bob's careful new summary.", "Alice's vendor")
    assert Fact.objects.get(platform=platform, criterion=waiting_room).note.startswith("Alice")
    assert Fact.objects.get(pk=other.pk).note == "Bob's note on another fact."


@pytest.mark.django_db
def test_both_admins_changing_one_fact_is_refused_side_by_side_and_nothing_is_lost(platform):
    waiting_room = Criterion.objects.get(slug="waiting-room")
    alice, bob, alices_form, bobs_form = open_twice(change_url(platform))

    fact = inline_prefix(alices_form, "facts", "criterion", waiting_room.pk)
    alices_form[f"{fact}-note"] = "Alice checked the waiting room settings page."
    assert alice.post(change_url(platform), alices_form).status_code == 302

    # Bob changed the same fact (another field of it) and the summary.
    bobs_fact = inline_prefix(bobs_form, "facts", "criterion", waiting_room.pk)
    bobs_form[f"{bobs_fact}-plan_scope"] = "Bob: paid plans only"
    bobs_form["summary"] = "Bob's careful new summary."
    response = bob.post(change_url(platform), bobs_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "someone else changed this fact after you opened it" in html
    assert 'class="conflicts"' in html or "class='conflicts'" in html
    table = html[html.index("conflicts") :]
    table = table[: table.index("</table>")]
    assert "Alice checked the waiting room settings page." in table  # theirs
    assert "Bob: paid plans only" in table  # yours
    platform.refresh_from_db()
    stored = Fact.objects.get(platform=platform, criterion=waiting_room)
    assert stored.note.startswith("Alice") and stored.plan_scope != "Bob: paid plans only"
    assert platform.summary != "Bob's careful new summary."  # nothing is saved from a refusal

    # His input is still in the form; saving again (having read theirs) keeps his row.
    resubmitted = form_data(response)
    assert resubmitted[f"{bobs_fact}-plan_scope"] == "Bob: paid plans only"
    assert resubmitted["summary"] == "Bob's careful new summary."
    assert bob.post(change_url(platform), resubmitted).status_code == 302
    platform.refresh_from_db()
    stored.refresh_from_db()
    assert platform.summary == "Bob's careful new summary."
    assert stored.plan_scope == "Bob: paid plans only"


@pytest.mark.django_db
def test_both_admins_changing_one_platform_field_is_refused_with_both_values(platform):
    alice, bob, alices_form, bobs_form = open_twice(change_url(platform))
    alices_form["vendor"] = "Alice's vendor"
    assert alice.post(change_url(platform), alices_form).status_code == 302

    bobs_form["vendor"] = "Bob's vendor"
    response = bob.post(change_url(platform), bobs_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "someone else changed this platform after you opened it" in html
    assert "Alice&#x27;s vendor" in html and "Bob&#x27;s vendor" in html
    platform.refresh_from_db()
    assert platform.vendor == "Alice's vendor"


@pytest.mark.django_db
def test_a_fact_saved_on_its_own_page_is_kept_by_a_platform_form_opened_before(platform):
    fact = Fact.objects.filter(platform=platform, state="unknown").first()
    alice, _ = staff_client("alice")
    bob, _ = staff_client("bob")
    bobs_form = form_data(bob.get(change_url(platform)))
    fact_url = f"/admin/platforms/fact/{fact.pk}/change/"
    alices_fact = form_data(alice.get(fact_url))
    alices_fact["note"] = "Asked the vendor; no answer yet."
    assert alice.post(fact_url, alices_fact).status_code == 302

    bobs_form["vendor"] = "Bob's vendor"
    assert bob.post(change_url(platform), bobs_form).status_code == 302
    platform.refresh_from_db()
    fact.refresh_from_db()
    assert platform.vendor == "Bob's vendor"
    assert fact.note == "Asked the vendor; no answer yet."


@pytest.mark.django_db
def test_two_admins_on_one_fact_page(seeded):
    fact = Fact.objects.filter(state="unknown").first()
    note_before = fact.note
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    alice, bob, alices, bobs = open_twice(url)
    alices["plan_scope"] = "paid plans only"
    assert alice.post(url, alices).status_code == 302
    bobs["note"] = "Bob's note"
    response = bob.post(url, bobs)
    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    assert "paid plans only" in response.content.decode()  # what changed meanwhile
    fact.refresh_from_db()
    assert (fact.plan_scope, fact.note) == ("paid plans only", note_before)


@pytest.mark.django_db
def test_a_form_without_its_version_is_refused(platform):
    admin, _ = staff_client("alice")
    data = form_data(admin.get(change_url(platform)))
    del data["opened_version"]
    data["summary"] = "Typed without a version"
    response = admin.post(change_url(platform), data)
    assert response.status_code == 200
    assert CONFLICT in response.content.decode()


@pytest.mark.django_db
def test_claim_version_succeeds_once_per_version():
    zoom = baker.make(Platform)
    assert Platform.claim_version(zoom.pk, zoom.version)
    assert not Platform.claim_version(zoom.pk, zoom.version)
    zoom.refresh_from_db()
    assert Platform.claim_version(zoom.pk, zoom.version)


K = 8


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_parallel_saves_of_one_stale_version_on_postgresql_exactly_one_wins(monkeypatch):
    assert connection.vendor == "postgresql"
    platform = Platform.objects.create(
        name="Race", slug="race", vendor="Race Inc", website="https://race.example", summary="s"
    )
    clients = [staff_client(f"admin{i}")[0] for i in range(K)]
    opened = [form_data(client.get(change_url(platform))) for client in clients]
    version = platform.version

    # Hold every save at the conditional UPDATE until all K passed the form's version check,
    # so they truly race for the row rather than queue one after another.
    at_update = threading.Barrier(K, timeout=30)
    claim = Platform.claim_version

    def racing_claim(cls, pk, expected):
        at_update.wait()
        return claim(pk, expected)

    monkeypatch.setattr(Platform, "claim_version", classmethod(racing_claim))
    results = [None] * K

    def save(i):
        try:
            opened[i]["summary"] = f"summary from admin {i}"
            response = clients[i].post(change_url(platform), opened[i])
            results[i] = (
                response.status_code,
                "Not saved: someone else" in response.content.decode(),
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(K)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    winners = [i for i, result in enumerate(results) if result == (302, False)]
    refused = [i for i, result in enumerate(results) if result == (200, True)]
    assert len(winners) == 1, results
    assert len(refused) == K - 1, results
    platform.refresh_from_db()
    assert platform.version == version + 1
    assert platform.summary == f"summary from admin {winners[0]}"
    assert platform.history.filter(history_type="~").count() == 1


# Sources and criteria (issue 16, item 2): before VersionedAdmin covered them, the second
# editor's save silently replaced the first's (these tests failed on that code).
TOP_LEVEL = {
    "source": ("title", "Alice's corrected title", "publisher", "Bob's publisher"),
    "criterion": ("definition", "Alice's sharper definition.", "need_label", "Bob's label"),
}


def first_row(model_name):
    from platforms.models import Source

    return (Source if model_name == "source" else Criterion).objects.order_by("pk").first()


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", TOP_LEVEL)
def test_two_editors_on_one_source_or_criterion(seeded, model_name):
    row = first_row(model_name)
    alices_field, alices_value, bobs_field, bobs_value = TOP_LEVEL[model_name]
    url = f"/admin/platforms/{model_name}/{row.pk}/change/"
    alice, bob, alices, bobs = open_twice(url)
    alices[alices_field] = alices_value
    assert alice.post(url, alices).status_code == 302
    bobs[bobs_field] = bobs_value
    response = bob.post(url, bobs)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"someone else saved this {row._meta.verbose_name} after you opened it" in html
    assert alices_value.replace("'", "&#x27;") in html  # what changed meanwhile
    row.refresh_from_db()
    assert getattr(row, alices_field) == alices_value
    assert getattr(row, bobs_field) != bobs_value
    # Saving again, having read the changes, is on purpose and goes through.
    assert bob.post(url, form_data(response)).status_code == 302
    row.refresh_from_db()
    assert getattr(row, bobs_field) == bobs_value


@pytest.mark.django_db
@pytest.mark.parametrize("model_name", TOP_LEVEL)
def test_a_source_or_criterion_form_without_its_version_is_refused(seeded, model_name):
    row = first_row(model_name)
    field, value, _, _ = TOP_LEVEL[model_name]
    url = f"/admin/platforms/{model_name}/{row.pk}/change/"
    editor, _ = staff_client("alice")
    data = form_data(editor.get(url))
    del data["opened_version"]
    data[field] = value
    assert editor.post(url, data).status_code == 200
    row.refresh_from_db()
    assert getattr(row, field) != value


@pytest.mark.django_db
def test_every_editable_platforms_model_has_the_version_check():
    from django.contrib import admin

    from platforms.admin import VersionedAdmin

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "platforms":
            assert isinstance(model_admin, VersionedAdmin), model
            assert not model_admin.list_editable, model  # a bulk form carries no version


@pytest.mark.django_db
def test_a_plan_changed_meanwhile_is_kept_and_a_tampered_snapshot_is_refused(platform):
    plan = platform.plans.first()
    alice, bob, alices_form, bobs_form = open_twice(change_url(platform))
    row = inline_prefix(alices_form, "plans", "id", plan.pk)
    alices_form[f"{row}-note"] = "Alice: price checked on the pricing page."
    assert alice.post(change_url(platform), alices_form).status_code == 302

    # Bob's form still holds the plan's old note; his save of the summary keeps hers.
    bobs_form["summary"] = "Bob's summary."
    tampered = dict(bobs_form)
    assert bob.post(change_url(platform), bobs_form).status_code == 302
    plan.refresh_from_db()
    assert plan.note == "Alice: price checked on the pricing page."

    # A snapshot that does not decode to the row's fields is refused, never a 500.
    tampered[f"{row}-opened_values"] = '{"order": {"x": 1}, "price_amount": [1]}'
    tampered[f"{row}-note"] = "Tampered"
    response = bob.post(change_url(platform), tampered)
    assert response.status_code == 200
    assert "someone else changed this plan after you opened it" in response.content.decode()
    plan.refresh_from_db()
    assert plan.note == "Alice: price checked on the pricing page."


@pytest.mark.django_db
def test_saving_the_platform_page_records_only_the_rows_that_changed(platform):
    alice, _ = staff_client("alice")
    data = form_data(alice.get(change_url(platform)))
    before = Fact.history.filter(platform_id=platform.pk).count()
    data["vendor"] = "Alice's vendor"
    assert alice.post(change_url(platform), data).status_code == 302
    assert Fact.history.filter(platform_id=platform.pk).count() == before
