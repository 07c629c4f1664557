from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .forms import FactForm
from .models import (
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    Platform,
    Source,
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
    title = _("sourcing")
    parameter_name = "sourcing"

    def lookups(self, request, model_admin):
        return [("unsourced", _("No source")), ("sourced", _("Has a source"))]

    def queryset(self, request, queryset):
        if self.value() == "unsourced":
            return queryset.filter(sources__isnull=True)
        if self.value() == "sourced":
            return queryset.filter(sources__isnull=False).distinct()
        return queryset


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_on", "accessed_on", "third_party"]
    list_filter = ["third_party", "publisher"]
    search_fields = ["title", "publisher", "url"]
    formfield_overrides = HTTPS_URLS
    date_hierarchy = "accessed_on"


class PlanInline(admin.TabularInline):
    model = Plan
    extra = 0
    autocomplete_fields = ["sources"]


class FactInline(admin.StackedInline):
    model = Fact
    form = FactForm
    extra = 0
    autocomplete_fields = ["sources"]
    fields = [
        ("criterion", "state", "verified_on"),
        "plan_scope",
        "note",
        "sources",
        ("contested", "contested_reason"),
    ]
    ordering = ["criterion__order"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")


class EncryptionPathInline(admin.StackedInline):
    model = EncryptionPath
    extra = 0
    autocomplete_fields = ["sources"]
    fields = [
        ("connection", "transport"),
        ("decrypted_at", "key_holder", "verified_on"),
        "note",
        "sources",
        ("contested", "contested_reason"),
    ]


class IncidentInline(admin.StackedInline):
    model = Incident
    extra = 0
    autocomplete_fields = ["sources"]
    fields = [
        ("title", "kind", "status"),
        ("cves", "affected"),
        ("disclosed_on", "fixed_on", "fixed_in"),
        "mitigation",
        "sources",
    ]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "published", "reviewed_on"]
    list_filter = ["published"]
    search_fields = ["name", "vendor", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = HTTPS_URLS
    inlines = [PlanInline, FactInline, EncryptionPathInline, IncidentInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "free", "baa", "price_note"]
    list_filter = ["baa", "free", "platform"]
    search_fields = ["name", "platform__name", "price_note"]
    list_select_related = ["platform"]
    autocomplete_fields = ["sources"]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["label", "group", "recommended", "order", "filterable"]
    list_filter = ["group", "recommended", "filterable"]
    list_editable = ["order", "filterable"]
    search_fields = ["label", "slug", "definition", "why_it_matters"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    form = FactForm
    list_display = ["platform", "criterion", "state", "plan_scope", "verified_on", "contested"]
    list_filter = [
        "state",
        "criterion__group",
        VerificationFilter,
        SourcingFilter,
        "contested",
        "platform",
    ]
    search_fields = ["platform__name", "criterion__label", "note", "plan_scope"]
    list_select_related = ["platform", "criterion"]
    autocomplete_fields = ["sources"]
    date_hierarchy = "verified_on"


@admin.register(EncryptionPath)
class EncryptionPathAdmin(admin.ModelAdmin):
    list_display = ["platform", "connection", "decrypted_at", "key_holder", "verified_on"]
    list_filter = ["connection", "decrypted_at", "key_holder", VerificationFilter, "platform"]
    search_fields = ["platform__name", "transport", "note"]
    list_select_related = ["platform"]
    autocomplete_fields = ["sources"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "platform", "kind", "status", "cves", "disclosed_on", "fixed_in"]
    list_filter = ["kind", "status", "platform"]
    search_fields = ["title", "cves", "platform__name", "mitigation"]
    list_select_related = ["platform"]
    autocomplete_fields = ["sources"]
    date_hierarchy = "disclosed_on"
