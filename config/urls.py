from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("platforms.urls")),
    path("", include("compare.urls")),
    path("", include("alerts.urls")),
    path("", include("corrections.urls")),
]

handler500 = "config.errors.server_error"
