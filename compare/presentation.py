"""Small helpers that load and shape data for the pages: the platforms with their evidence,
the list's cards, footnote numbering, group headings and the per-plan reading of facts."""

from itertools import groupby

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corrections.models import annotate_open_corrections
from monitoring.models import annotate_needs_review
from platforms.models import (
    Criterion,
    Fact,
    Incident,
    State,
    attach_evidence,
    loaded,
)
from platforms.needs import PlanMatrix
from platforms.prefetch import Rows, attach_many, attach_related

# The facts every result in the list shows as badges.
BADGE_CRITERIA = ["baa", "e2ee", "waiting-room", "browser-join"]


def with_evidence(platforms, incidents=False):
    """The platforms of `platforms` (a queryset or a list), loaded with what a page needs to show
    their plans, facts and encryption paths with the evidence (and with `incidents`, their
    incidents): the platform page, its checklist and the comparison.

    Each fact comes with whether it needs review because a source it quotes changed
    (monitoring), and how many readers' corrections of it are open."""
    platforms = list(platforms)
    attach_related(platforms, "plans")
    attach_evidence(attach_related(platforms, "facts", EVIDENCE_FACTS))
    attach_many(attach_related(platforms, "encryption_paths"), "sources")
    if incidents:
        attach_many(attach_related(platforms, "incidents", INCIDENTS), "sources")
    return platforms


EVIDENCE_FACTS = Rows(lambda: annotate_open_corrections(annotate_needs_review(Fact.objects)))
INCIDENTS = Rows(lambda: Incident.objects.order_by("-disclosed_on", "title"))
# The facts of the given criteria (by slug): the cards' badges and chosen needs.
SHOWN_FACTS = Rows(lambda slugs: Fact.objects.filter(criterion__slug__in=slugs))


def with_shown_facts(platforms, needs, vendor_only=False):
    """Attach to each platform what its card in the list shows: its badges, which of its
    plans meet the chosen needs (and what the others miss), and its cheapest plan that meets
    them. Only the facts the cards show are loaded."""
    slugs = {*BADGE_CRITERIA, *(c.slug for c in needs)}
    attach_related(platforms, "plans")
    facts = attach_related(
        platforms, "facts", SHOWN_FACTS.bind(tuple(sorted(slugs))), to_attr="shown_facts"
    )
    attach_evidence(facts)
    for platform in platforms:
        matrix = attach_plan_states(platform, platform.shown_facts)
        by_slug = {fact.criterion.slug: fact for fact in platform.shown_facts}
        platform.badges = [by_slug[slug] for slug in BADGE_CRITERIA if slug in by_slug]
        platform.plan_lines = plan_match_lines(matrix, needs, vendor_only) if needs else []
        platform.needs_met = matrix.needs_met(needs, vendor_only)
        platform.cheapest = cheapest_line(matrix, needs, vendor_only)
        platform.needs_evidence = [
            by_slug[need.slug]
            for need in needs
            if need.slug in by_slug and by_slug[need.slug].strength in {"third_party", "contested"}
        ]
    return platforms


class Ref(int):
    """A footnote number as cited in one place: `anchor` is that place's id, so the source's
    entry can link back to it."""

    def __new__(cls, number, anchor):
        ref = super().__new__(cls, number)
        ref.anchor = anchor
        return ref


class Footnotes:
    """Numbers sources in order of first citation, so each page has one list of references;
    each entry remembers where it was cited (`backrefs`), for its links back."""

    def __init__(self):
        self.numbers = {}
        self.backrefs = {}

    def cite(self, fact):
        """Number a fact's citations; each citation gets its source's number as `.ref`."""
        citations = list(loaded(fact, "citations"))
        numbers = self.refs([c.source for c in citations])
        for citation, number in zip(citations, numbers, strict=True):
            citation.ref = number
        return numbers

    def mark(self, items):
        """Give each item its footnote numbers as `refs`, in order: a fact its citations'
        (see `cite`), anything else (an encryption path, an incident, a checklist item) its
        sources'."""
        for item in items:
            if isinstance(item, Fact):
                item.refs = self.cite(item)
            else:
                sources = item.sources
                item.refs = self.refs(sources.all() if hasattr(sources, "all") else sources)
        return items

    def refs(self, sources):
        numbers = []
        for source in sources:
            if source.pk not in self.numbers:
                self.numbers[source.pk] = (len(self.numbers) + 1, source)
            number = self.numbers[source.pk][0]
            places = self.backrefs.setdefault(number, [])
            ref = Ref(number, f"cite-{number}-{len(places) + 1}")
            places.append(ref)
            numbers.append(ref)
        return numbers

    def __iter__(self):
        """(number, source, the places citing it) in number order."""
        return iter((n, source, self.backrefs[n]) for n, source in self.numbers.values())

    def __len__(self):
        return len(self.numbers)


def grouped_by_criterion_group(items, key):
    """[(group label, [items])] in the site's group order; `key` gives an item's criterion."""
    labels = dict(Criterion.Group.choices)
    ordered = sorted(items, key=lambda item: (key(item).group_order, key(item).order))
    return [
        {"slug": group, "label": labels[group], "items": list(members)}
        for group, members in groupby(ordered, key=lambda item: key(item).group)
    ]


def plan_name(plan):
    """A plan's name, saying "(free)" when the name does not already say so."""
    if plan.free and "free" not in plan.name.lower():
        return _("%(plan)s (free)") % {"plan": plan.name}
    if plan.trial and "trial" not in plan.name.lower():
        return _("%(plan)s (free trial)") % {"plan": plan.name}
    return plan.name


def attach_plan_states(platform, facts=None):
    """Give each fact of `platform` its state on every plan (`by_plan`) and, where plans
    differ, `plan_groups`: [{"state", "label", "plans"}] in plan order. Returns the matrix."""
    matrix = PlanMatrix(platform, facts)
    for fact in matrix.facts.values():
        fact.by_plan = matrix.by_plan(fact)
        fact.plan_groups = plan_groups(fact.by_plan)
    return matrix


def plan_groups(by_plan):
    """The plans grouped by state, when they do not all share one."""
    if len(set(by_plan.values())) < 2:
        return []
    groups = {}
    for plan, state in by_plan.items():
        groups.setdefault(state, []).append(plan.name)
    return [
        {"state": state, "label": State(state).label, "plans": names}
        for state, names in groups.items()
    ]


def plan_match_lines(matrix, needs, vendor_only=False):
    """What a card says about plans and the chosen needs: which plans meet them all and what
    each other plan misses, e.g. "Pro, Business and Enterprise meet all 3 needs" and
    "Basic (free) misses: BAA offered (unknown)"."""
    results = matrix.results(needs, vendor_only)
    meeting = [r for r in results if r.meets_all]
    lines = []
    if meeting and meeting[0].plan is not None:
        names = get_text_list([plan_name(r.plan) for r in meeting], _("and"))
        if len(needs) == 1:
            text = ngettext("%(plans)s meets your need", "%(plans)s meet your need", len(meeting))
        else:
            text = ngettext(
                "%(plans)s meets all %(n)d needs", "%(plans)s meet all %(n)d needs", len(meeting)
            )
        lines.append(text % {"plans": names, "n": len(needs)})
    elif meeting:
        text = (
            _("Meets your need (no plans recorded)")
            if len(needs) == 1
            else _("Meets all %(n)d needs (no plans recorded)")
        )
        lines.append(text % {"n": len(needs)})
    for result in results:
        if result.meets_all:
            continue
        missed = ", ".join(
            f"{criterion.need_label} ({State(state).label.lower()})"
            for criterion, state in result.missed
        )
        who = plan_name(result.plan) if result.plan else _("The platform (no plans recorded)")
        lines.append(_("%(plan)s misses: %(missed)s") % {"plan": who, "missed": missed})
    return lines


def cheapest_line(matrix, needs, vendor_only=False):
    """ "Cheapest plan that meets your needs", from stated prices only."""
    plan = matrix.cheapest_meeting(needs, vendor_only)
    if plan is not None:
        text = (
            _("Cheapest plan that meets your needs: %(plan)s, %(price)s")
            if needs
            else _("Cheapest plan: %(plan)s, %(price)s")
        )
        return text % {"plan": plan.name, "price": plan.price_display}
    meeting = [r for r in matrix.results(needs, vendor_only) if r.meets_all]
    if not meeting:
        return ""
    if meeting[0].plan is None:
        return _("Price not known: no plans recorded.")
    if not needs:
        return _("Prices not known.")
    return _("Price not known for the plans that meet your needs.")
