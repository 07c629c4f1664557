from django.urls import path

from . import views

app_name = "corrections"
urlpatterns = [
    path(
        "platforms/<slug:platform_slug>/facts/<slug:criterion_slug>/correction/",
        views.suggest,
        name="suggest",
    ),
    path(
        "platforms/<slug:platform_slug>/facts/<slug:criterion_slug>/correction/sent/",
        views.sent,
        name="sent",
    ),
]
