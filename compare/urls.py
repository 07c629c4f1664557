from django.urls import path

from . import views

app_name = "compare"
urlpatterns = [
    path("", views.PlatformListView.as_view(), name="platform-list"),
    path("platforms/<slug:slug>/", views.PlatformDetailView.as_view(), name="platform-detail"),
    path("compare/", views.compare, name="compare"),
    path("criteria/", views.CriterionListView.as_view(), name="criterion-list"),
]
