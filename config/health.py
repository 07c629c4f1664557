"""`/healthz` for load balancers, uptime checks and as the benchmarks' baseline.

A plain GET answers "ok" without touching the database, the session or a template, so it
measures only the web server and Django's request cycle. `?db=1` also asks the database for
the newest row id of every platform table (the page cache's data version, a read of real
tables, so a database file that cannot be read fails it) and answers 503 when it cannot.
"""

import logging

from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .caching import data_version

logger = logging.getLogger(__name__)


def plain(text, status=200):
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def healthz(request):
    check_db = request.GET.get("db", "0")
    if check_db not in {"0", "1"}:
        return plain("db takes 1 (check the database) or 0\n", status=400)
    if check_db == "1":
        try:
            data_version()
        except DatabaseError:
            logger.exception("Health check: the database did not answer")
            return plain("database unavailable\n", status=503)
        return plain("ok: database answers\n")
    return plain("ok\n")
