"""Migration 0008 gives an existing database the checklist texts the code held (issue 18)."""

import datetime
import json
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import platforms.migrations

BEFORE = [("platforms", "0007_editors_citations_plan_states")]
AFTER = [("platforms", "0008_criterion_checklist_text")]
TEXTS = Path(platforms.migrations.__file__).with_name("0008_checklist_text.json")
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "criteria.json"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def make_criterion(apps, slug, group="access"):
    row = apps.get_model("platforms", "Criterion").objects.create(
        slug=slug,
        label=slug,
        group=group,
        definition=".",
        why_it_matters=".",
        recommended="yes",
        need_label=slug,
    )
    return row


def record(apps, criterion, when):
    """A history record of the row as it stands, as simple-history writes one."""
    fields = ["slug", "label", "group", "definition", "why_it_matters", "recommended"]
    return apps.get_model("platforms", "HistoricalCriterion").objects.create(
        id=criterion.pk,
        need_label=criterion.need_label,
        history_date=when,
        history_type="~",
        **{name: getattr(criterion, name) for name in fields},
    )


@pytest.mark.django_db(transaction=True)
def test_existing_criteria_and_their_newest_history_get_the_texts_by_slug():
    old = migrate(BEFORE)
    now = timezone.now()
    passcode = make_criterion(old, "meeting-passcode")
    unnamed = make_criterion(old, "a-row-the-code-never-named")
    older = record(old, passcode, now - datetime.timedelta(days=2))
    newest = record(old, passcode, now - datetime.timedelta(days=1))

    new = migrate(AFTER)
    Criterion = new.get_model("platforms", "Criterion")
    History = new.get_model("platforms", "HistoricalCriterion")
    row = Criterion.objects.get(pk=passcode.pk)
    assert row.mitigation.startswith("Send each session’s link privately")
    assert row.habit == "Never post a meeting link publicly"
    assert row.habit_why.startswith("Links shared on social media")
    # Its newest history record holds them too (the next edit's diff shows only the edit);
    # an older one is left as it was.
    assert History.objects.get(history_id=newest.history_id).mitigation == row.mitigation
    assert History.objects.get(history_id=older.history_id).mitigation == ""
    blank = Criterion.objects.get(pk=unnamed.pk)
    assert (blank.mitigation, blank.habit, blank.habit_why) == ("", "", "")

    # Reversible: back to 0007 drops the fields, and forward again fills them again.
    migrate(BEFORE)
    migrate(AFTER)
    assert new.get_model("platforms", "Criterion").objects.get(pk=passcode.pk).habit
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_the_data_step_keeps_a_text_an_editor_already_set():
    copy_texts = import_module("platforms.migrations.0008_criterion_checklist_text").copy_texts
    written = make_criterion(global_apps, "baa", group="compliance")
    written.mitigation = "An editor's text."
    written.save()
    copy_texts(global_apps, None)
    written.refresh_from_db()
    assert written.mitigation == "An editor's text."


def test_the_frozen_texts_match_the_seed_fixture():
    """A new database (the fixture) and a migrated one (the frozen file) start alike."""
    frozen = {row["criterion"]: row for row in json.loads(TEXTS.read_text(encoding="utf-8"))}
    seed = {
        row["fields"]["slug"]: row["fields"]
        for row in json.loads(FIXTURE.read_text(encoding="utf-8"))
    }
    assert set(frozen) <= set(seed)
    for slug, texts in frozen.items():
        for name in ("mitigation", "habit", "habit_why"):
            assert seed[slug][name] == texts.get(name, ""), (slug, name)
