"""The site's URLconf plus views that fail on purpose, for tests/config/test_errors.py."""

from django.db import connection
from django.urls import path

from config.urls import handler500  # noqa: F401 - the site's 500 page here too
from config.urls import urlpatterns as site_urlpatterns

SECRET_DETAIL = "forced failure 5f1d: do not show this"


def fail(request):
    raise RuntimeError(SECRET_DETAIL)


def fail_after_sql(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 AS forced_error_marker")
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [
    path("test-only/fail/", fail),
    path("test-only/fail-after-sql/", fail_after_sql),
    *site_urlpatterns,
]
