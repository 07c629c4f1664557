"""platforms.models.QuickLoad: rows read from the database are the instances Django builds."""

import pytest
from django.db.models.base import Model
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init

from platforms.models import (
    Citation,
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    PlanState,
    Platform,
    QuickLoad,
    Source,
)

QUICK = [Citation, Criterion, EncryptionPath, Fact, Incident, Plan, PlanState, Platform, Source]


def django_built(model, db, values):
    """What Django's own from_db makes of the same columns."""
    names = [f.attname for f in model._meta.concrete_fields]
    return Model.from_db.__func__(model, db, names, values)


def test_every_model_the_pages_read_loads_quickly():
    assert all(issubclass(model, QuickLoad) for model in QUICK)


@pytest.mark.parametrize("model", QUICK, ids=lambda m: m.__name__)
def test_no_field_has_a_setter_but_the_foreign_keys_ids(model):
    # A data descriptor on a column would be skipped by writing __dict__: a new field with
    # one must take Django's path (or this rule must change).
    for field in model._meta.concrete_fields:
        descriptor = model.__dict__.get(field.attname) or getattr(model, field.attname, None)
        if hasattr(type(descriptor), "__set__"):
            assert isinstance(descriptor, ForeignKeyDeferredAttribute), field


@pytest.mark.parametrize("model", QUICK, ids=lambda m: m.__name__)
def test_a_loaded_row_is_the_instance_django_builds(seeded, model):
    rows = list(model.objects.all())
    assert rows, "the seed has rows of every kind"
    for row in rows:
        values = [getattr(row, f.attname) for f in model._meta.concrete_fields]
        built = django_built(model, "default", values)
        assert type(row) is model
        assert row._state.adding is False and row._state.db == "default"
        assert {k: v for k, v in vars(row).items() if k != "_state"} == {
            k: v for k, v in vars(built).items() if k != "_state"
        }
        assert row == built and row.pk is not None


def test_deferred_columns_and_signal_receivers_take_djangos_path(seeded):
    fact = Fact.objects.only("pk", "state").first()
    assert fact.get_deferred_fields() >= {"note", "verified_on"}
    assert fact.note == Fact.objects.get(pk=fact.pk).note  # loaded on access, as Django does
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Plan)
    try:
        plans = list(Plan.objects.all())
    finally:
        post_init.disconnect(receiver, sender=Plan)
    assert seen == plans


def test_a_loaded_row_saves_and_reloads(seeded):
    plan = Plan.objects.order_by("pk").first()
    plan.note = "Checked again"
    plan.save()
    assert Plan.objects.get(pk=plan.pk).note == "Checked again"
    assert plan.platform.plans.filter(pk=plan.pk).exists()


@pytest.mark.parametrize("model", QUICK, ids=lambda m: m.__name__)
def test_choice_labels_are_djangos(seeded, model):
    fields = [f for f in model._meta.concrete_fields if f.choices]
    for row in model.objects.all()[:50]:
        for field in fields:
            expected = Model._get_FIELD_display(row, field)
            assert getattr(row, f"get_{field.name}_display")() == expected
    for field in fields:  # a value outside the choices reads as itself, as in Django
        row = model()
        setattr(row, field.attname, "not-a-choice")
        assert getattr(row, f"get_{field.name}_display")() == "not-a-choice"


def test_local_today_follows_the_zone_and_the_clock(settings, monkeypatch):
    import datetime
    import time

    from django.test import override_settings
    from django.utils import timezone

    from platforms import models

    assert models.local_today() == timezone.localdate()
    # Just before midnight in Honolulu it is already tomorrow in Auckland.
    instant = datetime.datetime(2026, 3, 10, 9, 59, tzinfo=datetime.UTC).timestamp()
    monkeypatch.setattr(time, "time", lambda: instant)
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime.fromtimestamp(instant, datetime.UTC)
    )
    with override_settings(TIME_ZONE="Pacific/Honolulu"):
        assert models.local_today() == datetime.date(2026, 3, 9)
    with override_settings(TIME_ZONE="Pacific/Auckland"):
        assert models.local_today() == datetime.date(2026, 3, 10)
    instant += 24 * 3600  # a day later, the same minute of the day
    with override_settings(TIME_ZONE="Pacific/Honolulu"):
        assert models.local_today() == datetime.date(2026, 3, 10)
