"""When the database cannot be reached: a clear 503 page rather than a 500.

Public pages the cache holds are still served (config/caching.py, `X-Stale-If-Error`);
any other request that needs the database ends here. `Retry-After` tells clients and load
balancers to come back shortly, and nothing is logged as a server bug: it is an outage.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def unavailable(request):
    template = loader.get_template("503.html")
    body = template.render({"request_id": getattr(request, "request_id", "")})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database that cannot be reached (or is locked past the busy timeout) into 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable: %s", exception)
            return unavailable(request)
        return None
