"""Project middleware: request ids, cache headers decided in one place, a few hardening steps.

Listed in config/settings/base.py MIDDLEWARE; each class says why it exists.
"""

import re
import uuid

from django.conf import settings
from django.core.exceptions import BadRequest
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control

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


def admin_prefix():
    try:
        return reverse("admin:index")
    except NoReverseMatch:  # a URLconf without the admin (some tests)
        return None


class CacheHeadersMiddleware:
    """Every cache decision of the site, so no view has to remember one.

    - The admin is never cached, by the browser or anything in between.
    - A response that already says how to cache it (htmx fragments say no-store) is left
      alone.
    - A successful GET that sets no cookie is the same for everyone. Browsers revalidate it
      on every visit (`max-age=0`: stale at once, so an edit shows as soon as it is saved);
      ConditionalGetMiddleware, above this one, adds the ETag and answers If-None-Match
      with a 304, which costs no rendering. A CDN or shared proxy may keep it for
      PUBLIC_CACHE_SECONDS (`s-maxage`) and, when the site fails, serve it for
      STALE_IF_ERROR_SECONDS (`stale-if-error`). Not `no-cache`: it would bind the shared
      caches too, and s-maxage would mean nothing.
    - A response that sets a cookie is private to its browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.shared_max_age = getattr(settings, "PUBLIC_CACHE_SECONDS", 60)
        self.stale_if_error = getattr(settings, "STALE_IF_ERROR_SECONDS", 3600)

    def __call__(self, request):
        response = self.get_response(request)
        prefix = admin_prefix()
        if prefix and request.path.startswith(prefix):
            add_never_cache_headers(response)
        elif response.has_header("Cache-Control"):
            pass
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


class RejectNulMiddleware:
    """A query string with a NUL character in it is a 400, whatever the page.

    No page reads NUL on purpose, and PostgreSQL refuses it in any query, so a `?p=%00`
    would otherwise reach the database and fail there as a 500. Checked once here rather
    than in every view that passes a parameter to the ORM.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("The address contains a NUL character (%00).")
        return self.get_response(request)
