import datetime
import itertools

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from corrections.admin import FromCorrectionMixin
from monitoring.admin import NeedsReviewFilter

from .forms import (
    CitationForm,
    CitationFormSet,
    FactAdminForm,
    FactInlineForm,
    MergeForm,
    PlanStateFormSet,
    PlatformAdminForm,
    PlatformRowsFormSet,
    VersionForm,
    kept_from_others,
)
from .history import InlineRows, ReadableChanges
from .models import (
    Citation,
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    PlanState,
    Platform,
    Source,
    State,
    Versioned,
    stale_cutoff,
)

admin.site.site_header = _("Teletherapy Compare administration")
admin.site.site_title = _("Teletherapy Compare admin")

# Addresses typed without a scheme are taken as https, never plain http.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class VerificationFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [
            ("stale", _("Stale (verified over 12 months ago)")),
            ("fresh", _("Verified within 12 months")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.filter(verified_on__lt=stale_cutoff())
        if self.value() == "fresh":
            return queryset.filter(verified_on__gte=stale_cutoff())
        return queryset


class SourcingFilter(admin.SimpleListFilter):
    """What needs an editor's attention: facts without a source, or not known at all."""

    title = _("sourcing")
    parameter_name = "sourcing"

    def lookups(self, request, model_admin):
        return [
            ("unsourced", _("No quoted source")),
            ("sourced", _("Has a quoted source")),
            ("unsourced-claim", _("Claims something without a quoted source")),
            ("unknown", _("State unknown")),
            ("needs-work", _("No quoted source or state unknown")),
            ("old-evidence", _("Old evidence (newest page over two years old)")),
            ("third-party", _("Third-party only or contested")),
        ]

    def queryset(self, request, queryset):
        # The rules applied to the changelist's own queryset (a FactQuerySet), not as
        # `pk__in` a second query of them: PostgreSQL ran that row by row (30 s on the seed).
        match self.value():
            case "unsourced":
                return queryset.unsourced()
            case "sourced":
                return queryset.sourced()
            case "unsourced-claim":
                return queryset.unsourced_claims()
            case "unknown":
                return queryset.filter(state=State.UNKNOWN)
            case "needs-work":
                return queryset.filter(
                    ~models.Q(queryset.has_quoted_citation()) | models.Q(state=State.UNKNOWN)
                )
            case "old-evidence":
                return queryset.filter(pk__in=Fact.objects.old_evidence().values("pk"))
            case "third-party":
                return queryset.contested_or_third_party()
        return queryset


def whole_number(text):
    """An id from the address that fits the database's integer columns."""
    return text.isascii() and text.isdecimal() and len(text) <= 18


def date_drilldown_is_valid(query, field):
    """The changelist's date hierarchy (?verified_on__year=2026&..__month=2) names a real
    date: Django's admin answers a year of 99999999999999999999 with an OverflowError (500).
    """
    parts = [query.get(f"{field}__{part}") for part in ("year", "month", "day")]
    if all(part is None for part in parts):
        return True
    if any(part is not None and not whole_number(part) for part in parts):
        return False
    year, month, day = (int(part) if part is not None else None for part in parts)
    try:
        datetime.date(year or 1, month or 1, day or 1)
    except ValueError:
        return False
    return year is not None and (day is None or month is not None)


class HistoryAdmin(SimpleHistoryAdmin):
    """Every platform-data admin: who changed what and when, a field-by-field diff between
    consecutive versions on the History page, and revert to any version."""

    object_history_list_template = "admin/platforms/object_history_list.html"
    object_history_form_template = "admin/platforms/object_history_form.html"
    # Rows edited inline on the page whose history belongs to each version (InlineRows).
    inline_rows = []

    def changelist_view(self, request, extra_context=None):
        if self.date_hierarchy and not date_drilldown_is_valid(request.GET, self.date_hierarchy):
            raise BadRequest(_("The date in the address is not a valid date."))
        return super().changelist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if not whole_number(unquote(object_id)):  # /abc/history/: a ValueError (500)
            raise Http404(_("No such entry."))
        return super().history_view(request, object_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record, mark_words=True)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Each version's changes, with those of its inline rows (a fact's citations)."""
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = list(historical_records)  # newest first
        if not records:
            return
        for rows in self.inline_rows:
            versions = rows.by_version(records[0].id)
            for newer, older in itertools.pairwise(records):
                change = rows.change(versions[older.history_id], versions[newer.history_id])
                if change is not None:
                    newer.history_delta_changes = [
                        *getattr(newer, "history_delta_changes", []),
                        change,
                    ]

    def version_rows(self, object_id, version_id):
        """[(InlineRows, {row id: historical row})] of one version, for its revert page."""
        return [
            (rows, rows.by_version(int(object_id)).get(int(version_id), {}))
            for rows in self.inline_rows
        ]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # /history/abc/ reached the database as a ValueError (a 500).
        if not (whole_number(unquote(object_id)) and whole_number(version_id)):
            raise Http404(_("No such version."))
        request.history_version_id = version_id  # for get_form and save_model, below
        extra_context = {
            **(extra_context or {}),
            "version_rows": [
                (rows.label, [rows.describe(row) for row in version.values()])
                for rows, version in self.version_rows(unquote(object_id), version_id)
            ],
        }
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        version_id = getattr(request, "history_version_id", None)
        if version_id is None:
            return
        # A revert: the version's citations (and per-plan states) come back with it.
        reason = _("reverted with version #%(id)s") % {"id": version_id}
        lost = []
        for rows, version in self.version_rows(obj.pk, version_id):
            lost += rows.restore(obj, version, str(reason))
        if lost:
            self.message_user(
                request,
                _("Not brought back, because their source or plan was deleted: %(rows)s")
                % {"rows": "; ".join(lost)},
                messages.WARNING,
            )

    def get_form(self, request, obj=None, change=False, **kwargs):
        """On a revert page, the form shows the version's sources too.

        django-simple-history fills the revert form from the old version's fields, but a
        many-to-many field is read from the database as it is now: reverting a fact would
        have kept today's sources under yesterday's claim. The version's own links are in
        its m2m history (HistoricalRecords(m2m_fields=...)); they become the initial choice.
        """
        form = super().get_form(request, obj, change, **kwargs)
        version_id = getattr(request, "history_version_id", None)
        if version_id is None or request.method != "GET":
            return form
        record = self.model.history.filter(pk=version_id).first()
        fields = [
            f for f in getattr(record, "_history_m2m_fields", []) if f.name in form.base_fields
        ]
        if not fields:
            return form
        chosen = {
            f.name: [
                getattr(row, f"{f.m2m_reverse_field_name()}_id")
                for row in getattr(record, f.name).all()
            ]
            for f in fields
        }

        class VersionForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.initial.update(chosen)

        return VersionForm


class StaleVersion(Exception):
    """Another save claimed the row's version between the form check and our UPDATE."""


class VersionedAdmin(HistoryAdmin):
    """Admin for every editable row (a platform and its children, a source, a criterion)
    with the optimistic version check of VersionForm: the save claims the version of the row
    (for a child: of its platform) in its own transaction."""

    form = VersionForm
    # A claim lost to a concurrent save is retried once the winner committed; the retry's
    # form check then reports the conflict. More than a few rounds means a save storm.
    max_attempts = 3

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return self.retry_when_stale(view, request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        def atomic_view(*args):
            with transaction.atomic():
                return super(VersionedAdmin, self).history_form_view(*args)

        return self.retry_when_stale(atomic_view, request, object_id, version_id, extra_context)

    def retry_when_stale(self, view, request, *args):
        for _attempt in range(self.max_attempts):
            try:
                return view(request, *args)
            except StaleVersion:
                continue  # rolled back; the next round's form check sees the other save
        return HttpResponse(
            _("Not saved: others are saving this %(thing)s right now. Go back and save again.")
            % {"thing": self.owner_model._meta.verbose_name},
            status=409,
            content_type="text/plain; charset=utf-8",
        )

    @property
    def owner_model(self):
        return self.model if issubclass(self.model, Versioned) else Platform

    def save_model(self, request, obj, form, change):
        owner = getattr(form, "version_owner", None)
        if owner is not None:
            model, pk = owner
            expected = form.cleaned_data["opened_version"]
            if expected is None or not model.claim_version(pk, expected):
                raise StaleVersion
            if isinstance(obj, model):
                obj.version = expected + 1
        super().save_model(request, obj, form, change)
        if not isinstance(obj, Versioned) and owner != (Platform, obj.platform_id):
            # A new child, or one moved to another platform: forms open on it are now stale.
            Platform.bump_versions([obj.platform_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        if not isinstance(obj, Versioned):
            Platform.bump_versions([obj.platform_id])

    def delete_queryset(self, request, queryset):
        if issubclass(self.model, Versioned):
            return super().delete_queryset(request, queryset)
        pks = set(queryset.values_list("platform_id", flat=True))
        super().delete_queryset(request, queryset)
        Platform.bump_versions(pks)


class NoDeleteAdmin:
    """Retire a platform by unpublishing it, a criterion by leaving it out of the filters:
    deleting either would orphan their history (and the facts that cite them)."""

    def has_delete_permission(self, request, obj=None):
        return False


def record_verifier(request, fact_form):
    """Whoever sets a fact's verified date is the one who verified it."""
    if fact_form.has_changed() and (
        fact_form.instance.pk is None or "verified_on" in fact_form.changed_data
    ):
        fact_form.instance.verified_by = request.user


@admin.register(Source)
class SourceAdmin(VersionedAdmin):
    list_display = ["title", "publisher", "kind", "published_on", "accessed_on"]
    list_filter = ["kind", "publisher"]
    search_fields = ["title", "publisher", "url"]
    formfield_overrides = HTTPS_URLS
    date_hierarchy = "accessed_on"

    def get_changeform_initial_data(self, request):
        # A new source is usually entered the day it was read.
        initial = super().get_changeform_initial_data(request)
        return {"accessed_on": timezone.localdate(), **initial}


class CitationInline(admin.TabularInline):
    """A fact's (or plan's) citations: the source, the quoted sentence and when it was seen."""

    model = Citation
    form = CitationForm
    formset = CitationFormSet
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "quote", "seen_on"]


class FactCitationInline(CitationInline):
    fk_name = "fact"


class PlanCitationInline(CitationInline):
    fk_name = "plan"
    extra = 0


class PlanStateInline(admin.TabularInline):
    """Where a plan differs from the fact's platform-wide state."""

    model = PlanState
    formset = PlanStateFormSet
    extra = 0
    fields = ["plan", "state", "detail"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            fact_id = request.resolver_match.kwargs.get("object_id")
            platform = Fact.objects.filter(pk=fact_id).values("platform_id")
            kwargs["queryset"] = Plan.objects.filter(platform__in=platform)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlanInline(admin.TabularInline):
    model = Plan
    form = MergeForm
    formset = PlatformRowsFormSet
    extra = 0
    fields = [
        "name",
        "slug",
        "free",
        "trial",
        "price_amount",
        "price_currency",
        "price_period",
        "order",
        "note",
        "opened_values",
    ]
    prepopulated_fields = {"slug": ["name"]}


class FactInline(admin.StackedInline):
    model = Fact
    form = FactInlineForm
    formset = PlatformRowsFormSet
    # One collapsible group per criterion group: the page stays short, a group with an
    # error opens itself.
    template = "admin/platforms/fact_inline_grouped.html"
    extra = 0
    fields = [
        ("criterion", "state", "verified_on"),
        ("plan_scope", "detail"),
        "note",
        "evidence",
        ("contested", "contested_reason"),
        "check_date_confirmed",
        "opened_values",
    ]
    readonly_fields = ["evidence"]
    ordering = ["criterion__order"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("criterion")
            .prefetch_related("citations__source", "plan_states__plan")
        )

    @admin.display(description=_("citations and plans"))
    def evidence(self, fact):
        """Citations and per-plan states are edited on the fact's own page."""
        if fact.pk is None:
            return _("Save first, then add citations on the fact's own page.")
        url = reverse("admin:platforms_fact_change", args=[fact.pk])
        citations = fact.citations.all()
        quoted = sum(1 for c in citations if c.quote.strip())
        plans = ", ".join(
            f"{ps.plan.name}: {ps.get_state_display()}" for ps in fact.plan_states.all()
        )
        return format_html(
            '{} · {} · <a href="{}">{}</a>',
            ngettext("%(n)d citation", "%(n)d citations", len(citations)) % {"n": len(citations)},
            ngettext("%(n)d with a quote", "%(n)d with quotes", quoted) % {"n": quoted}
            + (f" · {plans}" if plans else ""),
            url,
            _("edit citations and per-plan states"),
        )


class EncryptionPathInline(admin.StackedInline):
    model = EncryptionPath
    form = MergeForm
    formset = PlatformRowsFormSet
    extra = 0
    autocomplete_fields = ["sources"]
    fields = [
        ("connection", "transport"),
        ("decrypted_at", "key_holder", "verified_on"),
        "note",
        "sources",
        ("contested", "contested_reason"),
        "opened_values",
    ]


class IncidentInline(admin.StackedInline):
    model = Incident
    form = MergeForm
    formset = PlatformRowsFormSet
    extra = 0
    autocomplete_fields = ["sources"]
    fields = [
        ("title", "kind", "status"),
        ("cves", "affected"),
        ("disclosed_on", "fixed_on", "fixed_in"),
        "mitigation",
        "sources",
        "opened_values",
    ]


@admin.register(Platform)
class PlatformAdmin(NoDeleteAdmin, VersionedAdmin):
    form = PlatformAdminForm
    list_display = ["name", "vendor", "published", "reviewed_on"]
    list_filter = ["published"]
    search_fields = ["name", "vendor", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = HTTPS_URLS
    inlines = [PlanInline, FactInline, EncryptionPathInline, IncidentInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is Fact:
            for fact_form in formset.forms:
                record_verifier(request, fact_form)
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if kept := kept_from_others(form, formsets):
            messages.info(
                request,
                _(
                    "Others saved changes to this platform while you had it open; they "
                    "were kept: %s."
                )
                % "; ".join(kept),
            )


@admin.register(Plan)
class PlanAdmin(VersionedAdmin):
    list_display = ["name", "platform", "free", "trial", "price_display", "order"]
    list_filter = ["free", "trial", "price_period", "platform"]
    search_fields = ["name", "platform__name", "note"]
    list_select_related = ["platform"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanCitationInline]
    inline_rows = [InlineRows(Citation, "plan", "source", _("Citations"))]


class ChecklistTextFilter(admin.SimpleListFilter):
    """The rows `make check-data` reports: on the checklist without mitigation text."""

    title = _("checklist text")
    parameter_name = "checklist_text"

    def lookups(self, request, model_admin):
        return [("no-mitigation", _("On the checklist, no mitigation text"))]

    def queryset(self, request, queryset):
        if self.value() == "no-mitigation":
            return queryset.filter(pk__in=Criterion.objects.lacking_mitigation().values("pk"))
        return queryset


@admin.register(Criterion)
class CriterionAdmin(NoDeleteAdmin, VersionedAdmin):
    list_display = ["label", "group", "recommended", "order", "filterable"]
    list_filter = ["group", "recommended", "filterable", ChecklistTextFilter]
    # No list_editable: the changelist's bulk form carries no version, so two editors'
    # changelist saves would overwrite each other (and any open change form) unchecked.
    # The form shows every field in the model's order: the checklist's texts (mitigation,
    # habit) follow why it matters.
    search_fields = ["label", "slug", "definition", "why_it_matters", "mitigation", "habit"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(Fact)
class FactAdmin(FromCorrectionMixin, VersionedAdmin):
    form = FactAdminForm
    list_display = [
        "platform",
        "criterion",
        "state",
        "plan_scope",
        "verified_on",
        "verified_by",
        "contested",
    ]
    inlines = [PlanStateInline, FactCitationInline]
    inline_rows = [
        InlineRows(Citation, "fact", "source", _("Citations")),
        InlineRows(PlanState, "fact", "plan", _("States on plans")),
    ]
    list_filter = [
        "state",
        "criterion__group",
        VerificationFilter,
        SourcingFilter,
        NeedsReviewFilter,
        "contested",
        "platform",
    ]
    search_fields = ["platform__name", "criterion__label", "note", "plan_scope"]
    list_select_related = ["platform", "criterion", "verified_by"]
    readonly_fields = ["verified_by"]
    date_hierarchy = "verified_on"
    actions = ["mark_verified_today"]

    def save_model(self, request, obj, form, change):
        record_verifier(request, form)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Mark verified today"), permissions=["change"])
    def mark_verified_today(self, request, queryset):
        """Today's date and this admin's name on each chosen fact, through save() so each
        gets a history record. A fact that claims something without a source is skipped:
        verifying means checking it against a source."""
        today = timezone.localdate()
        verified, skipped = [], []
        with transaction.atomic():
            unsourced = set(queryset.unsourced_claims().values_list("pk", flat=True))
            for fact in queryset.select_related("platform", "criterion"):
                if fact.pk in unsourced:
                    skipped.append(fact)
                    continue
                fact.verified_on, fact.verified_by = today, request.user
                fact._change_reason = "marked verified"
                fact.save(update_fields=["verified_on", "verified_by"])
                verified.append(fact)
            Platform.bump_versions({fact.platform_id for fact in verified})
        if verified:
            self.message_user(
                request,
                ngettext(
                    "%(count)d fact marked verified today.",
                    "%(count)d facts marked verified today.",
                    len(verified),
                )
                % {"count": len(verified)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("Not marked, because they claim something without a quoted source: %(facts)s")
                % {"facts": "; ".join(str(fact) for fact in skipped)},
                messages.WARNING,
            )


@admin.register(EncryptionPath)
class EncryptionPathAdmin(VersionedAdmin):
    list_display = ["platform", "connection", "decrypted_at", "key_holder", "verified_on"]
    list_filter = ["connection", "decrypted_at", "key_holder", VerificationFilter, "platform"]
    search_fields = ["platform__name", "transport", "note"]
    list_select_related = ["platform"]
    autocomplete_fields = ["sources"]


@admin.register(Incident)
class IncidentAdmin(VersionedAdmin):
    list_display = ["title", "platform", "kind", "status", "cves", "disclosed_on", "fixed_in"]
    list_filter = ["kind", "status", "platform"]
    search_fields = ["title", "cves", "platform__name", "mitigation"]
    list_select_related = ["platform"]
    autocomplete_fields = ["sources"]
    date_hierarchy = "disclosed_on"
