from django.urls import path

from . import views

app_name = "platforms"
urlpatterns = [
    path("platforms.json", views.dataset, name="dataset"),
]
