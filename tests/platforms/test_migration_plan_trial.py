"""Migration 0010 turns the free trials recorded as free plans into trials."""

import pytest

from platforms.needs import stale_need_masks

from .test_migration_checklist_text import migrate

BEFORE = [("platforms", "0009_need_masks")]
AFTER = [("platforms", "0010_plan_trial")]


@pytest.mark.django_db(transaction=True)
def test_free_plans_named_as_trials_become_trials_with_a_history_row_and_fresh_masks():
    old = migrate(BEFORE)
    platform = old.get_model("platforms", "Platform").objects.create(
        name="Trialware", slug="trialware", vendor="x", website="https://example.org"
    )
    Plan = old.get_model("platforms", "Plan")
    trial = Plan.objects.create(platform=platform, name="Free trial", slug="trial", free=True)
    free = Plan.objects.create(platform=platform, name="Free", slug="free", free=True)
    paid = Plan.objects.create(platform=platform, name="Pro", slug="pro")
    try:
        new = migrate(AFTER)
        Plan = new.get_model("platforms", "Plan")
        assert Plan.objects.filter(pk=trial.pk, free=False, trial=True).exists()
        assert Plan.objects.filter(pk=free.pk, free=True, trial=False).exists()
        assert Plan.objects.filter(pk=paid.pk, free=False, trial=False).exists()
        rows = new.get_model("platforms", "HistoricalPlan").objects.filter(id=trial.pk)
        assert [r.history_change_reason for r in rows] == [
            "Migration 0010: a free trial is not a free plan"
        ]
        assert rows[0].trial and not rows[0].free
        assert stale_need_masks() == []
    finally:
        # Whatever failed, the next tests find the latest schema (the rows go with the
        # transactional test's flush).
        migrate(AFTER)
