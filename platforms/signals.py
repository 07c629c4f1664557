"""The stored need masks follow every write that can change them, in the same transaction.

House style keeps core logic out of signals; this module is the reason-giving exception. The
masks (platforms/needs.py) are derived data that must never disagree with the rows they are
read from, and rows are written by many paths: the admin's forms and inline formsets, its
history reverts, accepted corrections, commands and tests' factories. A receiver on each
model's saves and deletes is the one place that sees them all, and it runs inside the
transaction of the write (never on_commit), so a rolled-back edit rolls its masks back too.
(Every admin save and delete is one transaction; a save outside any, in autocommit, commits
its row a statement before its masks.)

What this cannot see: `QuerySet.update()`, `bulk_create()` and raw SQL (as for the page
cache, platforms/caching.py), and `loaddata`, whose raw saves are left alone because the rows
it loads refer to one another in any order. Code that writes those ways calls
`recompute_need_masks` itself (the seed command, platforms/synthetic.py); `make check-data`
reports any mask that differs from what its rows say.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import NEED_MASK_FIELDS, Citation, Criterion, Fact, Plan, PlanState, Platform, Source
from .needs import next_need_bit, recompute_need_masks

# The fields of each model that a mask is computed from. A Plan's or Platform's own save also
# writes its (possibly outdated) in-memory masks, so those are recomputed after every save.
INPUTS = {
    Platform: (),
    Plan: ("platform_id", "free", "trial"),
    Fact: ("platform_id", "criterion_id", "state", "contested"),
    PlanState: ("fact_id", "plan_id", "state"),
    Citation: ("fact_id", "source_id"),
    Source: ("kind",),
    Criterion: ("need_bit", "recommended", "follows_free_plans"),
}
WRITES_MASKS = {Platform, Plan}
EVERY_PLATFORM = object()


def affected_platforms(model, values, using):
    """The ids of the platforms whose masks depend on a row with these `values` of its INPUTS
    (and its "pk"), or EVERY_PLATFORM."""
    if model is Platform:
        return {values["pk"]}
    if model in (Plan, Fact):
        return {values["platform_id"]}
    facts = Fact.objects.using(using).order_by()
    if model in (PlanState, Citation):
        if values["fact_id"] is None:  # a citation of a plan's price
            return set()
        return set(facts.filter(pk=values["fact_id"]).values_list("platform_id", flat=True))
    if model is Source:
        cited = facts.filter(citations__source_id=values["pk"])
        return set(cited.values_list("platform_id", flat=True).distinct())
    return EVERY_PLATFORM  # a criterion's recommendation reads on every platform


def inputs_of(instance):
    return {"pk": instance.pk} | {name: getattr(instance, name) for name in INPUTS[type(instance)]}


def touches_inputs(sender, update_fields):
    """Whether a save with these update_fields can change a mask."""
    if update_fields is None:
        return True
    fields = {sender._meta.get_field(name.removesuffix("_id")).attname for name in update_fields}
    watched = set(INPUTS[sender]) | (set(NEED_MASK_FIELDS) if sender in WRITES_MASKS else set())
    return bool(fields & watched)


def recompute(platforms, using):
    if platforms is EVERY_PLATFORM:
        recompute_need_masks(using=using)
    elif platforms:
        recompute_need_masks(sorted(platforms), using=using)


@receiver(pre_save, sender=Criterion)
def give_need_bit(sender, instance, using, **kwargs):
    """A new criterion takes the lowest free bit (on loaddata's raw saves too)."""
    if instance.need_bit is None:
        instance.need_bit = next_need_bit(Criterion, using, exclude_pk=instance.pk)


def remember_inputs(sender, instance, raw, using, update_fields, **kwargs):
    """Keep the row's inputs as stored before the save: a row moved to another platform,
    or a source's kind changed, affects the platforms it was on as well."""
    instance._need_inputs_before = None
    if raw or instance._state.adding or not touches_inputs(sender, update_fields):
        return
    before = sender._base_manager.using(using).filter(pk=instance.pk)
    instance._need_inputs_before = before.values("pk", *INPUTS[sender]).first()


def recompute_after_save(sender, instance, created, raw, using, update_fields, **kwargs):
    if raw or not touches_inputs(sender, update_fields):
        return
    before, after = getattr(instance, "_need_inputs_before", None), inputs_of(instance)
    if before == after and sender not in WRITES_MASKS:
        return  # saved without a change to what the masks read
    if sender is Criterion and created:
        return  # no fact reads it yet
    platforms = affected_platforms(sender, after, using)
    if before and platforms is not EVERY_PLATFORM:
        old = affected_platforms(sender, before, using)
        platforms = EVERY_PLATFORM if old is EVERY_PLATFORM else platforms | old
    recompute(platforms, using)


def recompute_after_delete(sender, instance, using, **kwargs):
    # Criteria and sources are protected while facts or citations use them, and a deleted
    # platform has no masks left: only the rows below change a mask when they go.
    recompute(affected_platforms(sender, inputs_of(instance), using), using)


for model in INPUTS:
    pre_save.connect(remember_inputs, sender=model, dispatch_uid=f"need-masks-pre-{model}")
    post_save.connect(recompute_after_save, sender=model, dispatch_uid=f"need-masks-{model}")
for model in (Plan, Fact, PlanState, Citation):
    post_delete.connect(
        recompute_after_delete, sender=model, dispatch_uid=f"need-masks-delete-{model}"
    )
