"""The one FilterSet behind the platform list: needs, evidence, text search and sort, all in
the URL. Which plans meet the needs is decided in platforms/needs.py."""

from functools import cached_property

import django_filters
from django import forms
from django.db.models import F
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from platforms import needs as plan_needs
from platforms.models import Criterion, Platform


class KnownChoicesField(forms.ModelMultipleChoiceField):
    """A multiple choice that keeps the valid values of a shared link and notes the others
    in `ignored`, instead of throwing the whole choice away over one stale value."""

    def clean(self, value):
        values = [v for v in (value or []) if isinstance(v, str)]
        known = {getattr(obj, self.to_field_name): obj for obj in self.queryset}
        self.ignored = list(dict.fromkeys(v for v in values if v not in known))
        chosen = set(values)
        return [obj for key, obj in known.items() if key in chosen]

    def label_from_instance(self, obj):
        return obj.need_label


class NeedFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = KnownChoicesField


class SwitchField(forms.BooleanField):
    """An on/off query parameter: 1, on or true; 0, false or absent; anything else is an
    error, not a silent "on"."""

    ON, OFF = {"1", "on", "true"}, {"", "0", "off", "false"}

    def to_python(self, value):
        text = self.text(value)
        if text in self.ON:
            return True
        if text in self.OFF:
            return False
        raise forms.ValidationError(_("Use 1 for on or 0 for off."), code="invalid")

    @staticmethod
    def text(value):
        return "" if value is None else str(value).strip().lower()

    @classmethod
    def is_on(cls, value):
        return value is True or cls.text(value) in cls.ON


class RawCheckbox(forms.CheckboxInput):
    """A checkbox that hands its field the value as sent, so a bad one can be refused, and
    is shown ticked exactly when its SwitchField reads the value as on (`?vendor_only=0`
    is off, not a ticked box); ticked, it sends 1."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=SwitchField.is_on)

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def format_value(self, value):
        return "1"


class SwitchFilter(django_filters.BooleanFilter):
    field_class = SwitchField


class KeptWidgetField(BoundField):
    """A form field whose widget HTML is kept for each value it is shown with: Django
    renders a widget through its templates, and the list's search box, sort menu and
    vendor-only box cost half a millisecond a page, for the few values they ever show.
    The widget's HTML depends only on the form (`KeptWidgetsForm.kept_as`), the field, its
    attributes (errors included) and the value, which make the key."""

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is not None or attrs or only_initial:
            return super().as_widget(widget, attrs, only_initial)
        widget = self.field.widget
        built = self.build_widget_attrs({}, widget)
        if self.auto_id and "id" not in widget.attrs:
            built.setdefault("id", self.auto_id)
        value = self.value()
        key = (self.form.kept_as, self.html_name, tuple(sorted(built.items())), repr(value))
        html = kept_widgets.get(key)
        if html is None:
            html = super().as_widget()
            if len(kept_widgets) >= KEPT_WIDGETS:
                kept_widgets.clear()
            kept_widgets[key] = html
        return html


kept_widgets = {}
KEPT_WIDGETS = 2048


class KeptWidgetsForm(forms.Form):
    """PlatformFilter's form: its fields render through KeptWidgetField."""

    bound_field_class = KeptWidgetField
    kept_as = "platform-list"


class PlatformFilter(django_filters.FilterSet):
    SORTS = [
        ("name", _("Name")),
        ("cheapest", _("Cheapest plan that meets your needs")),
        ("needs", _("Most needs met")),
        ("verified", _("Most recently checked")),
    ]

    q = django_filters.CharFilter(
        label=_("Search by name, vendor or summary"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    need = NeedFilter(
        label=_("What you need"),
        queryset=Criterion.objects.filterable(),
        to_field_name="slug",
        # Written out in compare/platform_list.html, each with an id that names its need
        # (`need-baa`), so a link or a facet count can point at it.
        widget=forms.CheckboxSelectMultiple,
    )
    vendor_only = SwitchFilter(
        label=_("Count only what the vendor itself states"),
        widget=RawCheckbox,
        required=False,
    )
    sort = django_filters.ChoiceFilter(label=_("Sort by"), choices=SORTS, empty_label=None)

    class Meta:
        model = Platform
        fields = ["q", "need", "vendor_only", "sort"]
        form = KeptWidgetsForm

    def filter_queryset(self, queryset):
        """Search narrows the catalogue, the needs keep the platforms with a plan meeting all
        of them, and the sort orders what is left."""
        data = self.form.cleaned_data
        queryset = self.search(queryset)
        needs, vendor_only = self.chosen_needs, self.only_vendor
        queryset = plan_needs.platforms_meeting(queryset, needs, vendor_only)
        match data.get("sort"):
            case "needs":
                queryset = plan_needs.with_needs_met(queryset, needs, vendor_only).order_by(
                    "-needs_met", "name"
                )
            case "verified":
                queryset = queryset.with_last_verified().order_by(
                    F("last_verified").desc(nulls_last=True), "name"
                )
            case "cheapest":
                queryset = plan_needs.with_cheapest_meeting(queryset, needs, vendor_only).order_by(
                    F("cheapest_price").asc(nulls_last=True), "name"
                )
            case _:
                queryset = queryset.order_by("name")
        return queryset

    def search(self, queryset):
        """`queryset` narrowed by the text search, when there is one."""
        q = self.form.cleaned_data.get("q") if self.is_bound and self.is_valid() else ""
        return queryset.search(q) if q else queryset

    @cached_property
    def searched(self):
        """The catalogue the search allows, before the needs."""
        return self.search(self.queryset)

    @property
    def chosen_needs(self):
        """The Criterion objects the therapist requires (empty when the form is invalid)."""
        if not self.is_bound or not self.is_valid():
            return []
        return list(self.form.cleaned_data.get("need") or [])

    @property
    def only_vendor(self):
        return bool(
            self.is_bound and self.is_valid() and self.form.cleaned_data.get("vendor_only")
        )

    @property
    def ignored_needs(self):
        """Values of `need` in the link that are not needs this site knows."""
        return getattr(self.form.fields["need"], "ignored", []) if self.is_bound else []

    @property
    def is_narrowed(self):
        """Whether the link sets anything beyond the plain list: a search, a need, the
        vendor-only count, another sort, or values that could not be used."""
        if not self.is_bound:
            return False
        if not self.is_valid() or self.ignored_needs:
            return True
        data = self.form.cleaned_data
        return bool(data.get("q") or data.get("need") or data.get("vendor_only")) or data.get(
            "sort"
        ) not in (None, "", "name")

    @cached_property
    def criteria(self):
        """The filterable criteria, in order: the need checkboxes."""
        return list(self.form.fields["need"].queryset)

    def closest_matches(self):
        """Every platform the search allows, ranked by the most chosen needs one of its plans
        meets."""
        return (
            plan_needs.with_needs_met(self.searched, self.chosen_needs, self.only_vendor)
            .filter(needs_met__gt=0)
            .order_by("-needs_met", "name")
        )

    def facet_counts(self):
        """How many of the results would remain if each filterable need were added too.

        Counted over the searched catalogue, which gives the same numbers (a unit that
        meets the chosen needs is one of a listed platform) without the needs filter's
        subqueries inside the count's."""
        return plan_needs.facet_counts(
            self.searched, self.chosen_needs, self.criteria, self.only_vendor
        )
