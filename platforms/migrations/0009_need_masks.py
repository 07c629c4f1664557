"""Stored need masks (issue 15): each criterion gets its bit, and every plan and platform
the masks its rows give today, computed by the same SQL that keeps them up to date
(platforms/needs.py), run with this migration's models."""

from django.db import migrations, models

from platforms.needs import recompute_need_masks


def fill_masks(apps, schema_editor):
    recompute_need_masks(using=schema_editor.connection.alias, models=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0008_criterion_checklist_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="criterion",
            name="need_bit",
            field=models.PositiveSmallIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="historicalcriterion",
            name="need_bit",
            field=models.PositiveSmallIntegerField(db_index=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="plan",
            name="need_mask",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="plan",
            name="vendor_need_mask",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="platform",
            name="need_mask",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="platform",
            name="vendor_need_mask",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddConstraint(
            model_name="criterion",
            constraint=models.CheckConstraint(
                condition=models.Q(("need_bit__lte", 62)), name="criterion_need_bit_fits"
            ),
        ),
        migrations.RunPython(fill_masks, migrations.RunPython.noop),
    ]
