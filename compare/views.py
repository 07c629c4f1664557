from urllib.parse import urlencode

from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from corrections.models import annotate_open_corrections
from monitoring.models import annotate_needs_review
from platforms.models import Criterion, EncryptionPath, Fact, Incident, Platform

from .checklist import build_checklist
from .diagrams import diagram as encryption_diagram
from .filters import PlatformFilter
from .forms import MAX_COMPARE, MAX_FIND_LENGTH, ComparisonForm
from .presentation import (
    Footnotes,
    attach_plan_states,
    cheapest_line,
    grouped_by_criterion_group,
    plan_match_lines,
)

# The facts every result in the list shows as badges.
BADGE_CRITERIA = ["baa", "e2ee", "waiting-room", "browser-join"]
# The "add a platform" choices list at most this many; beyond it a search narrows them.
ADD_CHOICES = 60


class HtmxPartialMixin:
    """One URL serves the whole page and, to htmx, just the named partial of its template."""

    partial = "results"

    def get_template_names(self):
        names, hx = super().get_template_names(), self.request.htmx
        if hx and not hx.boosted and not hx.history_restore_request:
            return [f"{name}#{self.partial}" for name in names]
        return names

    def render_to_response(self, *args, **kwargs):
        response = super().render_to_response(*args, **kwargs)
        vary_on_htmx(self.request, response)
        return response


def vary_on_htmx(request, response):
    # Caches must not mix the page and its fragment, and the browser must never show a bare
    # fragment when someone goes back to a URL that htmx pushed.
    patch_vary_headers(response, ["HX-Request"])
    if request.htmx:
        patch_cache_control(response, no_store=True)
    return response


def platform_evidence(*extra):
    """The prefetches a page needs to show platforms' plans and facts with their evidence."""
    return [
        "plans",
        # With whether each needs review because a source it quotes changed (monitoring),
        # and how many readers' corrections of it are open.
        Prefetch(
            "facts",
            queryset=annotate_open_corrections(
                annotate_needs_review(Fact.objects.with_evidence())
            ),
        ),
        Prefetch("encryption_paths", queryset=EncryptionPath.objects.prefetch_related("sources")),
        *extra,
    ]


class PlatformListView(HtmxPartialMixin, FilterView):
    model = Platform
    filterset_class = PlatformFilter
    template_name = "compare/platform_list.html"
    partial = "results-fragment"
    paginate_by = 30
    strict = False

    def get_queryset(self):
        # Explicit: Meta.ordering does not apply to the GROUP BY query the needs make.
        return Platform.objects.published().order_by("name")

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so the plain list (no query string) is a valid, filterable state.
        return {**super().get_filterset_kwargs(filterset_class), "data": self.request.GET}

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.filterset.errors:
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = self.filterset
        needs, vendor_only = filterset.chosen_needs, filterset.only_vendor
        paginator = context["paginator"]
        total = paginator.count if paginator else len(context["object_list"])
        closest = []
        if needs and total == 0:
            closest = list(filterset.closest_matches()[: self.paginate_by])
        facets = filterset.facet_counts(filterset.qs) if filterset.is_valid() else {}
        # The downloads are of the list as applied: a file cannot say which needs it ignored
        # (compare/exports.py refuses a link that has any).
        download_query = self.request.GET.copy()
        if filterset.ignored_needs:
            download_query.setlist("need", [c.slug for c in needs])
        context.update(
            # "Clear all" is offered once anything narrows or reorders the list.
            filtered=filterset.is_narrowed,
            needs=needs,
            vendor_only=vendor_only,
            ignored_needs=filterset.ignored_needs,
            download_query=download_query,
            total=total,
            object_list=with_shown_facts(list(context["object_list"]), needs, vendor_only),
            closest=with_shown_facts(closest, needs, vendor_only),
            # The form's own checkboxes, each with how many results adding it would leave.
            need_options=[
                {
                    "checkbox": checkbox,
                    "criterion": checkbox.data["value"].instance,
                    "count": facets.get(str(checkbox.data["value"])),
                }
                for checkbox in filterset.form["need"]
            ],
        )
        return context


def with_shown_facts(platforms, needs, vendor_only=False):
    """Attach to each platform what its card shows: its badges, which of its plans meet the
    chosen needs (and what the others miss), and its cheapest plan that meets them."""
    slugs = {*BADGE_CRITERIA, *(c.slug for c in needs)}
    prefetch_related_objects(
        platforms,
        "plans",
        Prefetch(
            "facts",
            queryset=Fact.objects.with_evidence().filter(criterion__slug__in=slugs),
            to_attr="shown_facts",
        ),
    )
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


class PlatformDetailView(DetailView):
    template_name = "compare/platform_detail.html"

    def get_queryset(self):
        return Platform.objects.published().prefetch_related(
            *platform_evidence(
                Prefetch(
                    "incidents",
                    queryset=Incident.objects.prefetch_related("sources").order_by(
                        "-disclosed_on", "title"
                    ),
                )
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        footnotes = Footnotes()
        attach_plan_states(self.object)
        facts = sorted(
            self.object.facts.all(), key=lambda f: (f.criterion.order, f.criterion.slug)
        )
        for fact in facts:
            fact.refs = footnotes.cite(fact)
        paths = list(self.object.encryption_paths.all())
        for path in paths:
            path.refs = footnotes.refs(path.sources.all())
        incidents = list(self.object.incidents.all())
        for incident in incidents:
            incident.refs = footnotes.refs(incident.sources.all())
        plans = list(self.object.plans.all())
        context.update(
            plans=plans,
            fact_groups=grouped_by_criterion_group(facts, key=lambda f: f.criterion),
            paths=paths,
            diagram=encryption_diagram(paths, self.object.name),
            incidents=incidents,
            footnotes=footnotes,
        )
        return context


class PlatformChecklistView(PlatformDetailView):
    """A printable session-safety checklist, derived from the platform's data."""

    template_name = "compare/platform_checklist.html"

    def get_context_data(self, **kwargs):
        context = super(DetailView, self).get_context_data(**kwargs)
        sections, habits = build_checklist(
            self.object,
            Criterion.objects.all(),
            self.object.facts.all(),
            self.object.incidents.all(),
        )
        footnotes = Footnotes()
        for item in [*(i for section in sections for i in section.items), *habits]:
            item.refs = footnotes.refs(item.sources)
            for fix in item.fixes:
                fix.refs = footnotes.refs(fix.sources)
        context.update(sections=sections, habits=habits, footnotes=footnotes)
        return context


class CriterionListView(ListView):
    model = Criterion
    template_name = "compare/criterion_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = grouped_by_criterion_group(self.object_list, key=lambda c: c)
        return context


def parse_comparison(query):
    """The slugs to compare from a query string, or the reasons it is not a comparison."""
    form = ComparisonForm(query)
    form.is_valid()
    return form.slugs, form.messages()


def load_comparison(query):
    """The published platforms a comparison query names, in its order, and its errors.

    Shared by the page and its CSV/JSON exports (compare/exports.py)."""
    slugs, errors = parse_comparison(query)
    found = {
        p.slug: p
        for p in Platform.objects.published()
        .filter(slug__in=slugs[: MAX_COMPARE + 1])
        .prefetch_related(*platform_evidence())
    }
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        errors.append(
            _("No published platform has the name(s): %(slugs)s.")
            % {"slugs": ", ".join(s[:60] for s in unknown[:5])}
        )
    return [found[slug] for slug in slugs if slug in found], errors


def comparison_rows(platforms):
    """One row per criterion: each platform's fact (None when it has no entry), and whether
    the platforms differ on it."""
    for platform in platforms:
        attach_plan_states(platform)
    rows = []
    for criterion in Criterion.objects.all():
        cells = [
            next((f for f in platform.facts.all() if f.criterion_id == criterion.pk), None)
            for platform in platforms
        ]
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


@require_safe
def compare(request):
    known, errors = load_comparison(request.GET)
    diff = [("diff", "1")] if request.GET.get("diff") == "1" else []
    for platform in known:
        others = [("p", other.slug) for other in known if other != platform]
        platform.without_query = urlencode(others + diff)
    find = request.GET.get("find", "").strip()[:MAX_FIND_LENGTH]
    context = {
        "platforms": known,
        "find": find,
        "only_differences": request.GET.get("diff") == "1",
        "max_compare": MAX_COMPARE,
    }
    if errors or len(known) < MAX_COMPARE:
        context["addable"], context["addable_total"] = addable_platforms(known, find)
    if errors:
        context["errors"] = errors
        response = render(request, "compare/compare_error.html", context, status=400)
        return vary_on_htmx(request, response)

    footnotes = Footnotes()
    rows = comparison_rows(known)
    for row in rows:
        for fact in row["cells"]:
            if fact:
                fact.refs = footnotes.cite(fact)
    for platform in known:
        platform.diagram = encryption_diagram(platform.encryption_paths.all(), platform.name)
        for path in platform.diagram["all"]:
            path.refs = footnotes.refs(path.sources.all())
    row_groups = grouped_by_criterion_group(rows, key=lambda row: row["criterion"])
    for group in row_groups:
        group["shown"] = not context["only_differences"] or any(
            row["differs"] for row in group["items"]
        )
    context.update(
        row_groups=row_groups,
        row_count=len(rows),
        differing=sum(row["differs"] for row in rows),
        footnotes=footnotes,
    )
    template = "compare/compare.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#comparison"
    return vary_on_htmx(request, render(request, template, context))
