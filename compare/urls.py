from django.urls import path
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from config.caching import Params
from config.caching import cached_until_data_changes as cached

from . import changes, exports, views

# The query parameters each cached page reads (platforms/caching.py): no other reaches the
# view or the page cache's key. `format` is kept as a list so that the export can say what
# is wrong with two of them.
LIST_PARAMS = Params(one=("q", "sort", "vendor_only", "page"), many=("need",), ordered=("format",))
COMPARE_PARAMS = Params(one=("find",), ordered=("p", "diff"), reject_unknown=True)
EXPORT_PARAMS = Params(one=("find",), ordered=("p", "diff"), reject_unknown=True)

app_name = "compare"
urlpatterns = [
    # The list page, or with ?format=csv|json its current filter as a download.
    path("", cached(exports.platform_list, LIST_PARAMS), name="platform-list"),
    path(
        "platforms/<slug:slug>/",
        cached(views.PlatformDetailView.as_view()),
        name="platform-detail",
    ),
    path(
        "platforms/<slug:slug>/checklist/",
        cached(views.PlatformChecklistView.as_view()),
        name="platform-checklist",
    ),
    path("compare/", cached(views.compare, COMPARE_PARAMS), name="compare"),
    path(
        "compare.csv",
        cached(exports.comparison_export, EXPORT_PARAMS),
        {"fmt": "csv"},
        name="compare-csv",
    ),
    path(
        "compare.json",
        cached(exports.comparison_export, EXPORT_PARAMS),
        {"fmt": "json"},
        name="compare-json",
    ),
    path("platforms.csv", cached(exports.dataset_csv), name="dataset-csv"),
    path("criteria/", cached(views.CriterionListView.as_view()), name="criterion-list"),
    path(
        "data/",
        cached(require_safe(TemplateView.as_view(template_name="compare/data_exports.html"))),
        name="data-exports",
    ),
    path("changes/", changes.change_list, name="change-list"),
    path("changes/feed/", require_safe(changes.ChangeFeed()), name="change-feed"),
]
