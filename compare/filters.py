"""The one FilterSet behind the platform list: needs, text search and sort, all in the URL."""

import django_filters
from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from platforms.models import Criterion, Fact, Platform, need_condition


class PlatformFilter(django_filters.FilterSet):
    SORTS = [
        ("name", _("Name")),
        ("needs", _("Most needs met")),
        ("verified", _("Most recently verified")),
    ]

    q = django_filters.CharFilter(
        label=_("Search by name, vendor or summary"),
        method="filter_search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    need = django_filters.MultipleChoiceFilter(
        label=_("What you need"),
        method="filter_needs",
        widget=forms.CheckboxSelectMultiple,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORTS, method="filter_sort", empty_label=None
    )

    class Meta:
        model = Platform
        fields = ["q", "need", "sort"]

    def __init__(self, data=None, *args, **kwargs):
        self.criteria = list(Criterion.objects.filterable())
        super().__init__(data, *args, **kwargs)
        self.filters["need"].extra["choices"] = [(c.slug, c.need_label) for c in self.criteria]

    # The filters run in declaration order: search narrows the catalogue, needs keep the
    # platforms that meet all of them, and sort orders what is left.

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_needs(self, queryset, name, value):
        # `needs_met` decides. The subquery only lets the database narrow the catalogue from
        # the facts' (criterion, state, platform) index before it counts needs per platform.
        meeting_all = (
            Fact.objects.filter(need_condition(self.chosen_needs))
            .order_by()
            .values("platform_id")
            .annotate(met=Count("pk"))
            .filter(met=len(self.chosen_needs))
            .values("platform_id")
        )
        return queryset.filter(pk__in=meeting_all, needs_met=len(value))

    def filter_sort(self, queryset, name, value):
        if value == "needs":
            return queryset.order_by("-needs_met", "name")
        if value == "verified":
            return queryset.with_last_verified().order_by("-last_verified", "name")
        return queryset.order_by("name")

    @property
    def chosen_needs(self):
        """The Criterion objects the therapist requires (empty before validation)."""
        chosen = set(self.form.cleaned_data.get("need") or []) if self.is_bound else set()
        return [c for c in self.criteria if c.slug in chosen]

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            # Annotate before filtering so the needs filter and the sort can both use it.
            self.queryset = self.queryset.with_needs_met(self.chosen_if_valid())
            super().qs  # noqa: B018 - fills self._qs
        return self._qs

    def chosen_if_valid(self):
        return self.chosen_needs if self.is_valid() else []

    def closest_matches(self):
        """Every platform the search allows, ranked by how many chosen needs it meets."""
        queryset = self.queryset
        text = self.form.cleaned_data.get("q")
        if text:
            queryset = queryset.search(text)
        return queryset.filter(needs_met__gt=0).order_by("-needs_met", "name")

    def facet_counts(self, results):
        """How many of `results` would remain if each filterable need were added too."""
        if not self.criteria:
            return {}
        # One fact per platform and criterion (the one_fact_per_cell constraint), so counting
        # facts per criterion counts platforms; no ordering, so no joins.
        counts = (
            Fact.objects.filter(platform__in=results.order_by().values("pk"))
            .filter(need_condition(self.criteria))
            .order_by()
            .values("criterion_id")
            .annotate(platforms=Count("pk"))
        )
        by_id = {row["criterion_id"]: row["platforms"] for row in counts}
        return {c.slug: by_id.get(c.pk, 0) for c in self.criteria}
