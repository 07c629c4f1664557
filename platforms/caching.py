"""Rendered public pages, kept until the platform data changes.

Every page a therapist sees is a function of the published data, the URL, today's date (facts
turn stale after a year) and whether htmx asked for a fragment. `cached_until_data_changes`
keeps a view's rendered 200 responses in the default cache under a key made of all four. The
data's part is `data_version()`: the newest row id of every platform-data table and of its
history table. Each save or delete through the ORM (the admin, reverts, "mark verified today",
the seed command) writes a history row; bulk inserts add rows with new ids. So an edit changes
the key on every app server at once, without signals or shared cache state: the default
per-process cache is enough, and a shared one (e.g. Redis) works the same way.

What this cannot see: `QuerySet.update()` or raw SQL on public fields, which also bypass the
change history, so the admin and commands never do that to published data. As a backstop no
entry lives longer than CACHE_SECONDS.

A body over COMPRESS_ABOVE (in practice only `/platforms.json` of a large catalogue) is kept
gzip-compressed, and sent that way to every client that accepts gzip, which all browsers and
HTTP libraries do; the rare client that does not gets it decompressed. HTML pages stay well
below the threshold and are sent as rendered.
"""

import functools
import gzip
import hashlib
import re

from django.apps import apps
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

CACHE_SECONDS = 600
# Bodies above this are kept and sent gzip-compressed: /platforms.json is 3.8 MB at 500
# platforms and 38 MB at 5,000, about 0.1 MB and 1 MB compressed.
COMPRESS_ABOVE = 1_000_000
# A page that is still bigger than this, compressed, is rendered on every request rather
# than held in each worker's memory.
MAX_CACHED_BYTES = 8_000_000
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# The request headers that change what a view renders (see compare.views.HtmxPartialMixin).
VARYING_HEADERS = ["HX-Request", "HX-Boosted", "HX-History-Restore-Request"]


@functools.cache
def version_sql():
    tables = []
    for model in apps.get_app_config("platforms").get_models():
        try:
            history = get_history_model_for_model(model)
        except NotHistoricalModelError:  # a history table itself, or a model without one
            continue
        tables.append((model._meta.db_table, model._meta.pk.column))
        tables.append((history._meta.db_table, history._meta.pk.column))
    # Table and column names come from the models, never from a request.
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"(SELECT MAX({quote(column)}) FROM {quote(table)})"  # noqa: S608
        for table, column in sorted(tables)
    )
    return f"SELECT {columns}"


def data_version():
    """A value that changes whenever platform data is added, edited or deleted."""
    with connection.cursor() as cursor:
        cursor.execute(version_sql())
        return cursor.fetchone()


def cache_key(request):
    parts = [
        repr(data_version()),
        timezone.localdate().isoformat(),
        request.get_full_path(),
        *(request.headers.get(name, "") for name in VARYING_HEADERS),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    # The prefix names the stored form (stored_form): a shared cache may still hold entries
    # of an older release for CACHE_SECONDS after a deploy.
    return f"page2:{digest}"


def stored_form(response):
    """What the cache keeps of a response: its headers, its body and whether that is gzip."""
    content = response.content
    compressed = len(content) > COMPRESS_ABOVE
    if compressed:
        content = gzip.compress(content, compresslevel=6)
    return list(response.items()), content, compressed


def from_stored(request, stored):
    headers, content, compressed = stored
    gzip_ok = compressed and ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
    response = HttpResponse(content if gzip_ok or not compressed else gzip.decompress(content))
    for name, value in headers:
        response[name] = value
    if compressed:
        if gzip_ok:
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def cached_until_data_changes(view):
    """Serve a view's successful GETs from the cache until the data or the date changes."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        # With caching switched off (the test settings) the key would cost a query for nothing.
        cache = caches["default"]
        if request.method not in {"GET", "HEAD"} or isinstance(cache, DummyCache):
            return view(request, *args, **kwargs)
        key = cache_key(request)
        stored = cache.get(key)
        if stored is not None:
            return from_stored(request, stored)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        stored = stored_form(response)
        if len(stored[1]) <= MAX_CACHED_BYTES:
            cache.set(key, stored, CACHE_SECONDS)
        # The first request gets a compressed body exactly as the ones after it will.
        return from_stored(request, stored) if stored[2] else response

    return wrapper
