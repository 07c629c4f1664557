from django.urls import path

from . import views
from .caching import cached_until_data_changes

app_name = "platforms"
urlpatterns = [
    path("platforms.json", cached_until_data_changes(views.dataset), name="dataset"),
]
