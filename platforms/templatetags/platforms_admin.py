"""The admin landing panel: what needs an editor's attention, per platform."""

from django import template
from django.db.models import Count, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from platforms.models import Criterion, Fact, Platform, State, stale_cutoff

register = template.Library()


@register.simple_tag
def review_counts():
    """Per platform: stale, unknown, contested, unsourced, old-evidence and third-party-only
    facts, in one query (the rules are the Fact QuerySet's)."""

    def facts(condition):
        return Count("facts", filter=condition, distinct=True)

    return Platform.objects.order_by("name").annotate(
        total=facts(Q()),
        stale=facts(Q(facts__verified_on__lt=stale_cutoff())),
        unknown=facts(Q(facts__state=State.UNKNOWN)),
        contested=facts(Q(facts__contested=True)),
        unsourced=facts(Q(facts__in=Fact.objects.unsourced_claims())),
        old_evidence=facts(Q(facts__in=Fact.objects.old_evidence().values("pk"))),
        weak=facts(Q(facts__in=Fact.objects.contested_or_third_party())),
    )


@register.filter
def in_minutes(duration):
    """A timedelta as whole minutes, rounded up: "try again in 15 minutes"."""
    return -(-int(duration.total_seconds()) // 60)


@register.simple_tag
def criterion_groups(inline_admin_formset):
    """The inline facts of a platform page by criterion group, in the site's group order:
    {"groups": [{"slug", "label", "items": [{"form", "index"}], "has_errors"}], "empty": the
    blank form "Add another" copies (kept last, outside the groups)}. Facts not saved yet
    come last, as "New facts"."""
    forms = list(inline_admin_formset)
    empty = None
    if inline_admin_formset.has_add_permission and forms:
        empty = forms.pop()
    labels = dict(Criterion.Group.choices)
    order = {slug: i for i, slug in enumerate(Criterion.GROUP_ORDER)}
    groups = {}
    for index, admin_form in enumerate(forms):
        original = admin_form.original
        slug = original.criterion.group if original is not None else "new"
        group = groups.setdefault(
            slug,
            {
                "slug": slug,
                "label": labels.get(slug, _("New facts")),
                "items": [],
                "has_errors": False,
            },
        )
        group["items"].append({"form": admin_form, "index": index})
        group["has_errors"] |= bool(admin_form.form.errors)
    ordered = sorted(groups.values(), key=lambda g: order.get(g["slug"], len(order)))
    return {"groups": ordered, "empty": empty}


@register.inclusion_tag("admin/platforms/_error_summary.html")
def error_summary(adminform, inline_admin_formsets):
    """Every error of a change form, its inlines included, as links to the field (or the
    inline row) it belongs to: the admin's own note says only "correct the errors below"."""
    entries = form_entries(adminform.form, "content-main", "")
    for inline in inline_admin_formsets:
        formset = inline.formset
        name = capfirst(inline.opts.verbose_name)
        for message in formset.non_form_errors():
            entries.append(
                {"target": f"{formset.prefix}-group", "where": name, "message": message}
            )
        for index, form in enumerate(formset.forms):
            row = str(form.instance) if form.instance.pk else f"#{index + 1}"
            entries += form_entries(form, f"{formset.prefix}-{index}", f"{name} {row}")
    return {"entries": entries}


def form_entries(form, container, where):
    """One entry per error message of `form`: a field's error links to its input, an error
    of the whole form (or of a field not shown) to `container`."""
    entries = []
    for name, messages in form.errors.items():
        field = form[name] if name in form.fields else None
        if field is not None and not field.is_hidden and field.id_for_label:
            target, label = field.id_for_label, field.label
        else:
            target, label = container, ""
        place = " · ".join(str(part) for part in (where, label) if part) or _("This form")
        for message in messages:
            entries.append({"target": target, "where": place, "message": message})
    return entries
