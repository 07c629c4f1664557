"""The checks in the admin: read-only (the command writes them), and the facts' filter."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CitationCheck, SourceCheck, needs_review_q


class NeedsReviewFilter(admin.SimpleListFilter):
    """On the facts list: the facts a source check put up for review (needs_review_q)."""

    title = _("source monitoring")
    parameter_name = "monitoring"

    def lookups(self, request, model_admin):
        return [
            ("needs-review", _("Needs review: source changed since checked")),
            ("ok", _("No source change found")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "needs-review":
                return queryset.filter(needs_review_q())
            case "ok":
                return queryset.exclude(needs_review_q())
        return queryset


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CitationCheckInline(ReadOnly, admin.TabularInline):
    model = CitationCheck
    fields = ["citation", "outcome", "detail", "flagged", "current"]
    readonly_fields = fields
    extra = 0


@admin.register(SourceCheck)
class SourceCheckAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "source",
        "checked_at",
        "status",
        "http_status",
        "final_url",
        "consecutive_unreachable",
    ]
    list_filter = ["status", "truncated"]
    search_fields = ["source__url", "source__title", "final_url", "error"]
    list_select_related = ["source"]
    date_hierarchy = "checked_at"
    inlines = [CitationCheckInline]


@admin.register(CitationCheck)
class CitationCheckAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["citation", "outcome", "flagged", "current", "checked_at"]
    list_filter = ["outcome", "flagged", "current"]
    search_fields = ["citation__source__url", "quote"]
    list_select_related = [
        "source_check",
        "citation__source",
        "citation__fact__platform",
        "citation__fact__criterion",
        "citation__plan__platform",
    ]

    @admin.display(description=_("checked at"), ordering="source_check__checked_at")
    def checked_at(self, check):
        return check.source_check.checked_at
