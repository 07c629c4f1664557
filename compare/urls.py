from django.urls import path
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from config.caching import Params
from config.caching import cached_until_data_changes as cached

from . import changes, exports, views

# The query parameters each cached page reads (config/caching.py): no other reaches the
# view or the page cache's key. The list page reads `format` only to send the downloads' old
# links (/?format=csv) to /list.csv and /list.json, kept as a list so that it can say what is
# wrong with two of them.
LIST_PARAMS = Params(one=("q", "sort", "vendor_only", "page"), many=("need",), ordered=("format",))
LIST_EXPORT_PARAMS = Params(one=("q", "sort", "vendor_only"), many=("need",))
COMPARE_PARAMS = Params(one=("find",), ordered=("p", "diff"), reject_unknown=True)
EXPORT_PARAMS = Params(one=("find",), ordered=("p", "diff"), reject_unknown=True)


def downloads(name, view, params):
    """`<name>.csv` and `<name>.json` (URL names `<name>-csv`, `<name>-json`): one view,
    told the format."""
    return [
        path(f"{name}.{fmt}", cached(view, params), {"fmt": fmt}, name=f"{name}-{fmt}")
        for fmt in exports.FORMATS
    ]


app_name = "compare"
urlpatterns = [
    path(
        "",
        cached(require_safe(views.PlatformListView.as_view()), LIST_PARAMS),
        name="platform-list",
    ),
    # The list page's current filter as a download: /list.csv, /list.json.
    *downloads("list", exports.list_export, LIST_EXPORT_PARAMS),
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
    *downloads("compare", exports.comparison_export, EXPORT_PARAMS),
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
