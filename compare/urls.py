from django.urls import path

from platforms.caching import cached_until_data_changes as cached

from . import views

app_name = "compare"
urlpatterns = [
    path("", cached(views.PlatformListView.as_view()), name="platform-list"),
    path(
        "platforms/<slug:slug>/",
        cached(views.PlatformDetailView.as_view()),
        name="platform-detail",
    ),
    path("compare/", cached(views.compare), name="compare"),
    path("criteria/", cached(views.CriterionListView.as_view()), name="criterion-list"),
]
