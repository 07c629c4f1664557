from django.urls import path

from config.caching import cached_until_data_changes

from . import views

app_name = "platforms"
urlpatterns = [
    path("platforms.json", cached_until_data_changes(views.dataset), name="dataset"),
]
