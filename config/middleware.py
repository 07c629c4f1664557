"""Project middleware: request ids, cache headers decided in one place, a few hardening steps.

Listed in config/settings/base.py MIDDLEWARE; each class says why it exists.
"""

import re
import uuid

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.middleware.http import ConditionalGetMiddleware as DjangoConditionalGetMiddleware
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, has_vary_header, patch_cache_control
from django.utils.log import log_response
from django.utils.translation import gettext as _

from .logging import current_request_id

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy may hand us (a UUID, Heroku's or nginx's $request_id, a trace id): short and
# plain, so a client cannot forge log lines or stuff a header with it.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}", re.ASCII)


class RequestIdMiddleware:
    """Gives every request an id: the proxy's X-Request-ID when sane, else a fresh uuid4.

    The id is `request.request_id`, goes back in the X-Request-ID response header and is on
    every log record written while the request is served (config/logging.py), so a person
    who reports an error page can be matched with its traceback.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = offered if SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        token = current_request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class CacheHeadersMiddleware:
    """Every cache decision of the site, so no view has to remember one.

    - A response that already says how to cache it is left alone: htmx fragments say
      no-store, and the admin's views are Django's `never_cache` (no-store, private).
    - A successful GET that sets no cookie is the same for everyone. Browsers revalidate it
      on every visit (`max-age=0`: stale at once, so an edit shows as soon as it is saved);
      ConditionalGetMiddleware, above this one, adds the ETag and answers If-None-Match
      with a 304, which costs no rendering. A CDN or shared proxy may keep it for
      PUBLIC_CACHE_SECONDS (`s-maxage`) and, when the site fails, serve it for
      STALE_IF_ERROR_SECONDS (`stale-if-error`). Not `no-cache`: it would bind the shared
      caches too, and s-maxage would mean nothing.
    - A response that depends on the visitor's cookies (`Vary: Cookie`: it read the session,
      e.g. who is logged in, or set the CSRF cookie; public pages never do) is never stored,
      as the admin's own `never_cache` views are. This covers what an admin sees beyond
      those: its 404s (raised through the decorator) and the views the admin marks
      cacheable (jsi18n, password change).
    - Any other response that sets a cookie is private to its browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.shared_max_age = getattr(settings, "PUBLIC_CACHE_SECONDS", 60)
        self.stale_if_error = getattr(settings, "STALE_IF_ERROR_SECONDS", 3600)

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            pass
        elif has_vary_header(response, "Cookie"):
            add_never_cache_headers(response)
        elif response.cookies:
            patch_cache_control(response, private=True, no_cache=True)
        elif request.method in {"GET", "HEAD"} and response.status_code == 200:
            patch_cache_control(
                response,
                public=True,
                max_age=0,
                s_maxage=self.shared_max_age,
                stale_if_error=self.stale_if_error,
            )
        return response


class HeadWithoutBodyMiddleware:
    """Answers HEAD with the headers of the GET and no body, as HTTP requires.

    Django renders the body anyway and leaves dropping it to the server; gunicorn does, with
    a warning per request, which would fill the log with every load balancer's HEAD check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response


class CrossOriginResourcePolicyMiddleware:
    """Sends Cross-Origin-Resource-Policy, which Django's SecurityMiddleware does not.

    `same-origin` (SECURE_CROSS_ORIGIN_RESOURCE_POLICY) stops other sites from pulling this
    site's responses into their pages as images, scripts or styles. Links, downloads and the
    published dataset fetched by a program are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "SECURE_CROSS_ORIGIN_RESOURCE_POLICY", "same-origin")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Cross-Origin-Resource-Policy", self.policy)
        return response


NUL = "\x00"


def nul_in(request):
    """Where the request carries a NUL character, or None: path, query string, headers,
    cookies, form fields. Reading the query string and the form may raise Django's
    SuspiciousOperation (too many fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if NUL in request.path:
        return "the address"
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            return "the address (%00)"
    for key, value in request.META.items():
        if (key.startswith("HTTP_") or key.startswith("CONTENT_")) and NUL in str(value):
            return "a header"
    for key, value in request.COOKIES.items():
        if NUL in key or NUL in value:
            return "a cookie"
    if request.method == "POST":
        for key, values in request.POST.lists():
            if NUL in key or any(NUL in value for value in values):
                return "a form field"
    return None


class RejectBadInputMiddleware:
    """Input no page can use is a 400 here, before a view, the session or the database.

    - A NUL character anywhere a client can put one: path, query string, header, cookie,
      form field. No page reads NUL on purpose and PostgreSQL refuses it in any query, so
      `?p=%00`, a `sessionid="aa\\000bb"` cookie or a NUL in a login's username would
      otherwise fail in the database as a 500.
    - A query string or form Django refuses to read: more than DATA_UPLOAD_MAX_NUMBER_FIELDS
      fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE (a 10 MB "password").

    The answer is the site's own 400 page, DEBUG or not (`make run` included): Django's
    debug page would show a traceback for the client's mistake, and itself fails with a 500
    on a query string with too many fields. It is logged as one WARNING line, no traceback:
    the client's fault, not the server's (config/logging.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            where = nul_in(request)
            problem = where and f"a NUL character in {where}"
            message = where and _(
                "The request had a null character (NUL, %%00) in %(where)s, and no page "
                "accepts one. Remove it and try again."
            ) % {"where": where}
        except TooManyFieldsSent as exc:
            problem, message = str(exc), _("The request had too many fields.")
        except RequestDataTooBig as exc:
            problem, message = str(exc), _("The request was too large.")
        except SuspiciousOperation as exc:
            problem, message = str(exc), None
        if problem:
            return bad_request_page(request, problem, message)
        return self.get_response(request)


def bad_request_page(request, problem, message=None):
    """The friendly 400 page, saying `message` (what was wrong, for the visitor) when given,
    logged once as a warning that says `problem` (for the log)."""
    response = render(request, "400.html", {"message": message}, status=400)
    log_response("Bad Request: %s (%s)", request.path, problem, response=response, request=request)
    return response


class ConditionalGetMiddleware(DjangoConditionalGetMiddleware):
    """Django's ETag and 304 handling, for HEAD as well as GET.

    Django skips HEAD because a HEAD body is usually empty by then; here it is not yet
    (HeadWithoutBodyMiddleware, above, drops it later), so HEAD gets the ETag the GET would
    have and answers If-None-Match with 304, as HTTP requires.
    """

    def process_response(self, request, response):
        if request.method != "HEAD":
            return super().process_response(request, response)
        request.method = "GET"  # only for the parent's method check, restored below
        try:
            return super().process_response(request, response)
        finally:
            request.method = "HEAD"


def refused_codings(header):
    """The content codings an Accept-Encoding header refuses with q=0 (`gzip;q=0`)."""
    refused = set()
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    if float(value) == 0:
                        refused.add(coding.lower())
                except ValueError:
                    refused.add(coding.lower())  # an unreadable weight: not an acceptance
    return refused


class AcceptEncodingMiddleware:
    """Takes the codings a client refuses (`gzip;q=0`) out of its Accept-Encoding.

    whitenoise serves the compressed copy of a static file when the header merely names
    the coding, weight or not, so `Accept-Encoding: gzip;q=0` got gzip. Rewriting the header
    once, above whitenoise, keeps whitenoise (and anything below) right.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_ACCEPT_ENCODING", "")
        if ";" in header and (refused := refused_codings(header)):
            kept = [
                item.strip()
                for item in header.split(",")
                if item.split(";")[0].strip().lower() not in refused
            ]
            request.META["HTTP_ACCEPT_ENCODING"] = ", ".join(kept)
        return self.get_response(request)
