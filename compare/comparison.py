"""A comparison of two to four platforms, criterion by criterion: what /compare/ shows and
/compare.csv and /compare.json export (compare/exports.py), from one reading of the query."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from platforms.models import Platform, all_criteria, loaded

from .forms import MAX_COMPARE, ComparisonForm
from .presentation import attach_plan_states, grouped_by_criterion_group, with_evidence

# The "add a platform" choices list at most this many; beyond it a search narrows them.
ADD_CHOICES = 60


@dataclass
class Comparison:
    """The published platforms a query names, in its order, what it asks for, and the
    reasons it is not a comparison (empty when it is one)."""

    platforms: list
    errors: list = field(default_factory=list)
    only_differences: bool = False
    find: str = ""


def load_comparison(query):
    """The Comparison a query string asks for, its platforms loaded with their evidence."""
    form = ComparisonForm(query)
    form.is_valid()
    slugs, errors = form.slugs, form.messages()
    data = getattr(form, "cleaned_data", {})
    found = {
        p.slug: p
        for p in with_evidence(
            Platform.objects.published().filter(slug__in=slugs[: MAX_COMPARE + 1])
        )
    }
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        errors.append(
            _("No published platform has the name(s): %(slugs)s.")
            % {"slugs": ", ".join(s[:60] for s in unknown[:5])}
        )
    return Comparison(
        platforms=[found[slug] for slug in slugs if slug in found],
        errors=errors,
        only_differences=data.get("diff") == "1",
        find=data.get("find") or "",
    )


def comparison_rows(platforms):
    """One row per criterion: each platform's fact (None when it has no entry), and whether
    the platforms differ on it."""
    facts = []
    for platform in platforms:
        attach_plan_states(platform)
        facts.append({fact.criterion_id: fact for fact in loaded(platform, "facts")})
    rows = []
    for criterion in all_criteria():
        cells = [by_criterion.get(criterion.pk) for by_criterion in facts]
        values = {(f.state, f.plan_scope, plan_reading(f)) if f else None for f in cells}
        rows.append(
            {
                "criterion": criterion,
                "cells": cells,
                # For the page: each cell with its platform, named in the cell on a phone.
                "columns": list(zip(platforms, cells, strict=True)),
                "differs": len(values) > 1,
            }
        )
    return rows


def grouped_rows(rows, only_differences):
    """The rows by criterion group, each group `shown` unless only differences are asked
    for and none of its rows differs."""
    groups = grouped_by_criterion_group(rows, key=lambda row: row["criterion"])
    for group in groups:
        group["shown"] = not only_differences or any(row["differs"] for row in group["items"])
    return groups


def plan_reading(fact):
    """How a fact differs by plan, as comparable data: states and plan names."""
    return tuple((g["state"], tuple(g["plans"])) for g in getattr(fact, "plan_groups", []))


def addable_platforms(known, find):
    """Published platforms not yet compared, matching `find` when given: the first
    ADD_CHOICES of them by name, and how many there are in all."""
    queryset = Platform.objects.published().exclude(pk__in=[p.pk for p in known])
    if find:
        queryset = queryset.search(find)
    return list(queryset.only("slug", "name")[:ADD_CHOICES]), queryset.count()
