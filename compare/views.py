from urllib.parse import urlencode

from django.core.paginator import Page
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView
from django_filters.views import FilterView

from config.caching import kept_fragments
from platforms.models import Criterion, Platform

from .checklist import build_checklist
from .comparison import addable_platforms, comparison_rows, grouped_rows, load_comparison
from .diagrams import diagram as encryption_diagram
from .exports import moved_list_export
from .filters import PlatformFilter
from .forms import MAX_COMPARE
from .presentation import (
    Footnotes,
    attach_plan_states,
    grouped_by_criterion_group,
    with_evidence,
    with_shown_facts,
)
from .templatetags.compare_tags import platform_card


def partial_template(request, template, partial):
    """`template`, or for htmx (but not a boosted link or a history restore, which need the
    whole page) just its `partial`: one URL serves the page and its fragment."""
    hx = request.htmx
    if hx and not hx.boosted and not hx.history_restore_request:
        return f"{template}#{partial}"
    return template


def vary_on_htmx(request, response):
    # Caches must not mix the page and its fragment, and the browser must never show a bare
    # fragment when someone goes back to a URL that htmx pushed.
    patch_vary_headers(response, ["HX-Request"])
    if request.htmx:
        patch_cache_control(response, no_store=True)
    return response


class HtmxPartialMixin:
    """A class-based view's partial_template and vary_on_htmx."""

    partial = "results"

    def get_template_names(self):
        return [
            partial_template(self.request, name, self.partial)
            for name in super().get_template_names()
        ]

    def render_to_response(self, *args, **kwargs):
        return vary_on_htmx(self.request, super().render_to_response(*args, **kwargs))


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

    def paginate_queryset(self, queryset, page_size):
        """Django's pagination, but a first page that holds every result is counted from its
        own rows rather than by a COUNT query: most searches match fewer platforms than a
        page shows, and building and running the count was a tenth of such a request."""
        page = self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg) or 1
        if str(page) != "1" or not self.get_allow_empty():
            return super().paginate_queryset(queryset, page_size)
        orphans = self.get_paginate_orphans()
        rows = list(queryset[: page_size + orphans + 1])
        one_page = len(rows) <= page_size + orphans  # every result, on what one page shows
        paginator = self.get_paginator(
            rows if one_page else queryset, page_size, orphans=orphans, allow_empty_first_page=True
        )
        page = Page(rows if one_page else rows[:page_size], 1, paginator)
        return (paginator, page, page.object_list, page.has_other_pages())

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so the plain list (no query string) is a valid, filterable state.
        return {**super().get_filterset_kwargs(filterset_class), "data": self.request.GET}

    def get(self, request, *args, **kwargs):
        if "format" in request.GET:  # the downloads' old address
            return moved_list_export(request)
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
        facets = filterset.facet_counts() if filterset.is_valid() else {}
        # The downloads are of the list as applied: a file cannot say which needs it ignored
        # (compare/exports.py refuses a link that has any).
        download_query = self.request.GET.copy()
        download_query.pop("page", None)  # every page
        if filterset.ignored_needs:
            download_query.setlist("need", [c.slug for c in needs])
        submitted_needs = set(filterset.form["need"].value() or ())
        context.update(
            # "Clear all" is offered once anything narrows or reorders the list.
            filtered=filterset.is_narrowed,
            needs=needs,
            vendor_only=vendor_only,
            ignored_needs=filterset.ignored_needs,
            download_query=download_query,
            total=total,
            cards=self.cards(list(context["object_list"]) or closest, needs, vendor_only),
            closest=closest,
            # The need checkboxes, ticked as the link asks, each with how many results
            # adding it would leave.
            need_options=[
                {
                    "criterion": criterion,
                    "checked": criterion.slug in submitted_needs,
                    "count": facets.get(criterion.slug),
                }
                for criterion in filterset.criteria
            ],
        )
        return context

    def cards(self, platforms, needs, vendor_only):
        """Each result's card: kept per platform, needs and vendor-only choice while the
        data stays the same, so a new combination of search, sort and page renders only the
        cards no other page has."""
        chosen = ",".join(sorted(c.slug for c in needs))
        items = {f"{p.pk}|{chosen}|{vendor_only:d}": p for p in platforms}

        def render(missing):
            return [
                platform_card(platform, needs, vendor_only)
                for platform in with_shown_facts(missing, needs, vendor_only)
            ]

        return kept_fragments(self.request, "card", items, render)


class PlatformPageView(DetailView):
    """A published platform with its evidence and disclosed incidents."""

    def get_queryset(self):
        return Platform.objects.published()

    def get_object(self, queryset=None):
        return with_evidence([super().get_object(queryset)], incidents=True)[0]


class PlatformDetailView(PlatformPageView):
    template_name = "compare/platform_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        footnotes = Footnotes()
        attach_plan_states(self.object)
        facts = sorted(
            self.object.facts.all(), key=lambda f: (f.criterion.order, f.criterion.slug)
        )
        paths = list(self.object.encryption_paths.all())
        incidents = list(self.object.incidents.all())
        for items in (facts, paths, incidents):
            footnotes.mark(items)
        context.update(
            plans=list(self.object.plans.all()),
            fact_groups=grouped_by_criterion_group(facts, key=lambda f: f.criterion),
            paths=paths,
            diagram=encryption_diagram(paths, self.object.name),
            incidents=incidents,
            footnotes=footnotes,
        )
        return context


class PlatformChecklistView(PlatformPageView):
    """A printable session-safety checklist, derived from the platform's data."""

    template_name = "compare/platform_checklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sections, habits = build_checklist(
            self.object,
            Criterion.objects.all(),
            self.object.facts.all(),
            self.object.incidents.all(),
        )
        footnotes = Footnotes()
        for item in [*(i for section in sections for i in section.items), *habits]:
            footnotes.mark([item, *item.fixes])
        context.update(sections=sections, habits=habits, footnotes=footnotes)
        return context


class CriterionListView(ListView):
    model = Criterion
    template_name = "compare/criterion_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = grouped_by_criterion_group(self.object_list, key=lambda c: c)
        return context


@require_safe
def compare(request):
    comparison = load_comparison(request.GET)
    known = comparison.platforms
    diff = [("diff", "1")] if comparison.only_differences else []
    for platform in known:
        others = [("p", other.slug) for other in known if other != platform]
        platform.without_query = urlencode(others + diff)
    context = {
        "platforms": known,
        "find": comparison.find,
        "only_differences": comparison.only_differences,
        "max_compare": MAX_COMPARE,
    }
    if comparison.errors or len(known) < MAX_COMPARE:
        context["addable"], context["addable_total"] = addable_platforms(known, comparison.find)
    if comparison.errors:
        context["errors"] = comparison.errors
        response = render(request, "compare/compare_error.html", context, status=400)
        return vary_on_htmx(request, response)

    footnotes = Footnotes()
    rows = comparison_rows(known)
    footnotes.mark(fact for row in rows for fact in row["cells"] if fact)
    for platform in known:
        platform.diagram = encryption_diagram(platform.encryption_paths.all(), platform.name)
        footnotes.mark(platform.diagram["all"])
    context.update(
        row_groups=grouped_rows(rows, comparison.only_differences),
        row_count=len(rows),
        differing=sum(row["differs"] for row in rows),
        footnotes=footnotes,
    )
    template = partial_template(request, "compare/compare.html", "comparison")
    return vary_on_htmx(request, render(request, template, context))
