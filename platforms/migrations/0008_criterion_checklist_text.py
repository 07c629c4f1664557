"""The checklist's words become data on each criterion (issue 18).

What to do when a control is missing (`mitigation`) and the habits for every platform
(`habit`, `habit_why`) were prose in compare/checklist.py, keyed by slug. They are now
fields editors change in the admin, with history. The data step gives the rows an existing
database holds the texts the code had, frozen in 0008_checklist_text.json (a new database
gets them from fixtures/criteria.json).
"""

import json
from pathlib import Path

from django.db import migrations, models

TEXTS = Path(__file__).with_name("0008_checklist_text.json")
FIELDS = ("mitigation", "habit", "habit_why")


def copy_texts(apps, schema_editor):
    """Each criterion gets its texts by slug, and so does its newest history record: the
    texts were in force already (in the code), so the next edit's diff must not show them
    as that editor's change. A criterion the file does not name, or whose text an editor
    has already set, is left as it is."""
    Criterion = apps.get_model("platforms", "Criterion")
    HistoricalCriterion = apps.get_model("platforms", "HistoricalCriterion")
    for row in json.loads(TEXTS.read_text(encoding="utf-8")):
        texts = {name: row.get(name, "") for name in FIELDS}
        unset = {name: "" for name in FIELDS}
        Criterion.objects.filter(slug=row["criterion"], **unset).update(**texts)
        for pk in Criterion.objects.filter(slug=row["criterion"]).values_list("pk", flat=True):
            newest = HistoricalCriterion.objects.filter(id=pk).order_by("-history_date").first()
            if newest is not None:
                HistoricalCriterion.objects.filter(history_id=newest.history_id, **unset).update(
                    **texts
                )


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0007_editors_citations_plan_states"),
    ]

    operations = [
        migrations.AddField(
            model_name="criterion",
            name="habit",
            field=models.CharField(
                blank=True,
                help_text="Optional: a habit the checklist asks of every therapist on every platform, citing the platform's fact for this row, e.g. “Never post a meeting link publicly”.",
                max_length=100,
                verbose_name="habit for every platform",
            ),
        ),
        migrations.AddField(
            model_name="criterion",
            name="habit_why",
            field=models.TextField(
                blank=True,
                help_text="Shown under the habit; its first sentence is what the handout prints.",
                verbose_name="why the habit matters",
            ),
        ),
        migrations.AddField(
            model_name="criterion",
            name="mitigation",
            field=models.TextField(
                blank=True,
                help_text="For the session-safety checklist: what a therapist should do on a platform that lacks this control, or where this risk is on and cannot be switched off. Every row but practice features needs one (make check-data lists those without).",
                verbose_name="what to do without it",
            ),
        ),
        migrations.AddField(
            model_name="historicalcriterion",
            name="habit",
            field=models.CharField(
                blank=True,
                help_text="Optional: a habit the checklist asks of every therapist on every platform, citing the platform's fact for this row, e.g. “Never post a meeting link publicly”.",
                max_length=100,
                verbose_name="habit for every platform",
            ),
        ),
        migrations.AddField(
            model_name="historicalcriterion",
            name="habit_why",
            field=models.TextField(
                blank=True,
                help_text="Shown under the habit; its first sentence is what the handout prints.",
                verbose_name="why the habit matters",
            ),
        ),
        migrations.AddField(
            model_name="historicalcriterion",
            name="mitigation",
            field=models.TextField(
                blank=True,
                help_text="For the session-safety checklist: what a therapist should do on a platform that lacks this control, or where this risk is on and cannot be switched off. Every row but practice features needs one (make check-data lists those without).",
                verbose_name="what to do without it",
            ),
        ),
        migrations.AddConstraint(
            model_name="criterion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("habit", ""), ("habit_why", "")),
                    models.Q(
                        models.Q(("habit", ""), _negated=True),
                        models.Q(("habit_why", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="criterion_habit_has_its_reason",
                violation_error_message="A habit needs both its words and why it matters.",
            ),
        ),
        # Reversed, the fields go away with their texts: nothing to undo first.
        migrations.RunPython(copy_texts, migrations.RunPython.noop),
    ]
