"""Free trials are not free plans.

The free-plan criterion defines "partly" as "something more limited, such as a time-limited
trial", but a plan could only be free or paid, so the 2026 catalogue recorded SessionsHealth's
and Spruce Health's free trials as free plans, and the needs filter listed them as having a
free plan with a BAA. A plan can now be a free trial (`Plan.trial`): the free-plan question
reads "partly" on it and it has no price. The data step turns every plan recorded as free
whose name says "trial" into a trial, with a history row saying why (so the change shows in
the change log, and the page cache, keyed on the newest history row, renders it at once),
and recomputes those platforms' need masks.
"""

from django.db import migrations, models
from django.utils import timezone

from platforms.needs import recompute_need_masks

REASON = "Migration 0010: a free trial is not a free plan"


def free_trials_become_trials(apps, schema_editor):
    Plan = apps.get_model("platforms", "Plan")
    HistoricalPlan = apps.get_model("platforms", "HistoricalPlan")
    using = schema_editor.connection.alias
    trials = list(Plan.objects.using(using).filter(free=True, name__icontains="trial"))
    if not trials:
        return
    now = timezone.now()
    kept = {f.attname for f in HistoricalPlan._meta.concrete_fields}  # the masks are not
    fields = [f.attname for f in Plan._meta.concrete_fields if f.attname in kept]
    for plan in trials:
        plan.free, plan.trial = False, True
        plan.price_amount, plan.price_currency, plan.price_period = None, "", ""
        plan.save(
            update_fields=["free", "trial", "price_amount", "price_currency", "price_period"]
        )
        HistoricalPlan.objects.using(using).create(
            **{name: getattr(plan, name) for name in fields},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )
    recompute_need_masks(sorted({plan.platform_id for plan in trials}), using=using, models=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0009_need_masks"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalplan",
            name="trial",
            field=models.BooleanField(
                default=False,
                help_text="A time-limited free trial, not a free plan: the free-plan question reads “partly” on it (as the criterion defines), and it has no price to rank.",
                verbose_name="free trial",
            ),
        ),
        migrations.AddField(
            model_name="plan",
            name="trial",
            field=models.BooleanField(
                default=False,
                help_text="A time-limited free trial, not a free plan: the free-plan question reads “partly” on it (as the criterion defines), and it has no price to rank.",
                verbose_name="free trial",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("trial", False),
                    models.Q(("free", False), ("price_amount__isnull", True)),
                    _connector="OR",
                ),
                name="plan_trial_is_not_a_free_or_priced_plan",
            ),
        ),
        # Last: on PostgreSQL no ALTER TABLE may follow the data step in its transaction.
        migrations.RunPython(free_trials_become_trials, migrations.RunPython.noop),
    ]
