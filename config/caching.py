"""Rendered public pages, kept until the data they show changes.

Every page a therapist sees is a function of the published data, the parameters the page
uses, today's date (facts turn stale after a year) and which representation the request
asks for (with htmx: the whole page or a fragment). `cached_until_data_changes` keeps a
view's rendered 200 responses in the default cache: the page's identity (path, canonical
parameters, representation) is the key, and the data and the date are the cache's
`version=` (`page_version`). The data's part is `data_version()`: the newest row id of every
page-data table and of its history table. Each save or delete through the ORM (the admin,
reverts, "mark verified today", the seed command) writes a history row; bulk inserts add rows
with new ids. So an edit changes the version on every app server at once, without signals.

**Canonical keys.** Each cached URL declares the query parameters it reads (`Params`). The
wrapper rebuilds `request.GET` from those alone, in a fixed order, before the key is made
and before the view runs: a parameter the page does not read never reaches the key or the
view (or, for a page that refuses unknown parameters, goes to it as a 400, never cached),
so `?r=<random>` cannot bypass the cache, and `?b=1&a=2` and `?a=2&b=1` share one entry.
Request headers reach the key only as the route's `variant` reads them (by default
`htmx_variant`: django-htmx's `request.htmx` flags, true or false), so a header cannot make
keys of its own either. Nothing else of the request reaches a page: printed absolute URLs
come from the SITE_URL setting, never from the Host header.

**One build for the whole site.** With REDIS_URL set the default cache is Redis, shared by
every worker of every app server; a miss takes a short build lock so that, after an edit,
one worker renders each page (e.g. `/platforms.json` at 5,000 platforms, seconds of work)
while the others wait for its result. The stored form carries the ETag (a hash of the body),
so every server sends the same bytes with the same ETag and a 304 costs no rendering.

**Faults.** Next to each entry a second copy is kept under the same key at the fixed version
`STALE_VERSION`, whatever the data version was, for STALE_IF_ERROR_SECONDS: when the
database cannot be reached (the version query fails) the data version is unknown, and the
last good copy of the page is the one that version holds. It is served with
`X-Stale-If-Error` saying so and until when; without one the request fails into the 503
page (config/faults.py). A cache that cannot be reached is a miss, never an error.

What this cannot see: `QuerySet.update()` or raw SQL on public fields, which also bypass the
change history, so the admin and commands never do that to published data. As a backstop no
entry lives longer than CACHE_SECONDS.

A body over COMPRESS_ABOVE (in practice only `/platforms.json` of a large catalogue) is kept
gzip-compressed, and sent that way to every client that accepts gzip, which all browsers and
HTTP libraries do; the rare client that does not gets it decompressed.
"""

import dataclasses
import functools
import hashlib
import logging
import re
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.db import DatabaseError, connection
from django.http import HttpResponse, QueryDict
from django.template import loader
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from isal import igzip
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

logger = logging.getLogger(__name__)

CACHE_SECONDS = 600
# Bodies above this are kept and sent gzip-compressed: /platforms.json (schema 3) is 5.6 MB
# at 500 platforms and 54.5 MB at 5,000, 0.29 MB and 2.4 MB compressed (bench/notes.md).
COMPRESS_ABOVE = 1_000_000
# Intel's ISA-L (the isal package) at its level 2: at 5,000 platforms 3.8 MB in 0.04 s,
# where zlib took 0.16 s for 3.3 MB at level 3 and 0.36 s for 2.4 MB at level 6. The
# compression is paid on the first request after each edit, the bytes on each download.
COMPRESS_LEVEL = 2
# A page that is still bigger than this, compressed, is rendered on every request rather
# than held in the cache.
MAX_CACHED_BYTES = 8_000_000
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Longer than any value a page reads (the list's search takes 100 characters); longer
# values are cut to this.
MAX_VALUE_LENGTH = 500
MAX_VALUES = 20
# How long a waiting worker polls for the page another one is building, and how often.
BUILD_WAIT_SECONDS = 30
BUILD_POLL_SECONDS = 0.05
# The stored form's own version, the first part of every entry's: a shared cache may still
# hold an older release's entries for CACHE_SECONDS after a deploy, so a change to what
# `stored_form` keeps changes it.
STORED_FORM = 3
# The version of the last good copy of each page, whatever the data's was (see Faults).
STALE_VERSION = f"{STORED_FORM}:stale"


@dataclasses.dataclass(frozen=True)
class Params:
    """The query parameters one page reads, and how each is put into canonical form.

    - `one`: read once (the last value, as a form does); given twice, a 400.
    - `many`: a set of values (e.g. the list's needs): sorted, repeats dropped.
    - `ordered`: a list whose order matters (the platforms compared): kept as given.
    - `reject_unknown`: the view itself refuses a parameter not named here with a 400 that
      says so (the compare pages): such a request goes to the view as it came, uncached
      (only 200s are cached), rather than with the parameter dropped.
    """

    one: tuple = ()
    many: tuple = ()
    ordered: tuple = ()
    reject_unknown: bool = False

    @property
    def names(self):
        """In the fixed order of the canonical query (and so of the page's own links)."""
        return [*self.ordered, *self.one, *self.many]


NO_PARAMS = Params()


class BadParams(Exception):  # noqa: N818 - a refusal, shown to the visitor
    pass


def canonical_query(query, params):
    """`query` (a QueryDict) reduced to the parameters in `params`, in a fixed order.

    Raises BadParams with a message for the visitor when the query cannot be a page."""
    canonical = QueryDict(mutable=True)
    for name in params.names:
        # Cut, not refused: past MAX_VALUE_LENGTH every page answers the same (it cuts the
        # value shorter still, or refuses it), so the rest must not make keys of its own.
        values = [value.strip()[:MAX_VALUE_LENGTH] for value in query.getlist(name)]
        if not values:
            continue
        if len(values) > MAX_VALUES:
            raise BadParams(
                _("“%(name)s” is given %(count)d times; at most %(max)d.")
                % {"name": name, "count": len(values), "max": MAX_VALUES}
            )
        if name in params.one:
            if len(values) > 1:
                raise BadParams(_("“%(name)s” may be given only once.") % {"name": name})
        elif name in params.many:
            values = sorted(set(values))
        canonical.setlist(name, values)
    canonical._mutable = False
    return canonical


def bad_params(request, message):
    template = loader.get_template("400.html")
    return HttpResponse(template.render({"message": message}, request), status=400)


# The apps whose rows public pages show: the platform data, the source checks' "source
# changed since checked" marks and the open corrections counted next to each fact. Their
# tables without a history (the checks, only ever added) count by their newest row id.
PAGE_DATA_APPS = ["platforms", "monitoring", "corrections"]


@functools.cache
def version_sql():
    tables = []
    for label in PAGE_DATA_APPS:
        if not apps.is_installed(label):
            continue
        for model in apps.get_app_config(label).get_models():
            if hasattr(model, "instance_type"):  # a history table: added with its model
                continue
            try:
                history = get_history_model_for_model(model)
            except NotHistoricalModelError:
                if label == "platforms":  # every platform table keeps a history
                    continue
                history = None
            tables.append((model._meta.db_table, model._meta.pk.column))
            if history is not None:
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


def htmx_variant(request):
    """Which representation of a page an htmx request asks for, as django-htmx reads its
    headers (`request.htmx`): a whole page, a fragment, a boosted or a history-restore
    request. Pages rendered differently for these say so with `Vary` themselves."""
    htmx = getattr(request, "htmx", None)  # set by django_htmx's HtmxMiddleware
    if htmx is None:
        return ""
    return f"{bool(htmx):d}{htmx.boosted:d}{htmx.history_restore_request:d}"


def page_key(request, variant):
    """Everything but the data and the date that decides a page: its path, parameters and
    representation (`variant(request)`). Call after the wrapper has made request.GET
    canonical."""
    return digest(request.path, request.GET.urlencode(), variant(request))


def page_version(data):
    """The cache version of every page while the data is `data` (`data_version()`) today."""
    return f"{STORED_FORM}:{digest(repr(data), timezone.localdate().isoformat())}"


def digest(*parts):
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def stored_form(response):
    """What the cache keeps of a response: its headers, body, whether that is gzip, ETag.

    The ETag is a hash of the body as kept: for a compressed one, of the gzip bytes, which
    are a function of the body alone (no timestamp in the gzip header), a twentieth of the
    bytes to hash."""
    content = response.content
    compressed = len(content) > COMPRESS_ABOVE
    if compressed:
        content = igzip.compress(content, compresslevel=COMPRESS_LEVEL, mtime=0)
    etag = hashlib.sha256(content).hexdigest()[:32]
    return list(response.items()), content, compressed, etag


def from_stored(request, stored):
    headers, content, compressed, etag = stored
    gzip_ok = compressed and ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
    response = HttpResponse(content if gzip_ok or not compressed else igzip.decompress(content))
    for name, value in headers:
        response[name] = value
    # Strong, and so per representation: the gzip body is not the identity one. None on what
    # must not be stored (htmx fragments): nothing would ever revalidate it.
    if "no-store" not in response.get("Cache-Control", ""):
        response["ETag"] = f'"{etag}-gzip"' if gzip_ok else f'"{etag}"'
    if compressed:
        if gzip_ok:
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


class SafeCache:
    """The default cache, where an unreachable cache (Redis down) is a miss, not an error."""

    def __init__(self, cache):
        self.cache = cache

    def call(self, method, *args, default=None, **kwargs):
        try:
            return getattr(self.cache, method)(*args, **kwargs)
        except Exception:  # the backend's own connection errors (redis, memcached)
            logger.warning("Page cache unavailable for %s; rendering instead", method)
            return default


def stale_if_error_seconds():
    return getattr(settings, "STALE_IF_ERROR_SECONDS", 3600)


def serve_stale(request, cache, key):
    """The last good copy of this page, when the database cannot be reached; else None."""
    entry = cache.call("get", key, version=STALE_VERSION)
    if entry is None:
        return None
    stored_at, stored = entry
    until = stored_at + stale_if_error_seconds()
    if time.time() > until:
        return None
    response = from_stored(request, stored)
    response["X-Stale-If-Error"] = (
        f"database unavailable; copy from {http_date(stored_at)}, served at most until "
        f"{http_date(until)}"
    )
    return response


def build(request, view, args, kwargs, cache, key, version):
    """Render the page, once for the whole site when the cache is shared."""
    lock = f"{key}:building"
    if not cache.call("add", lock, 1, BUILD_WAIT_SECONDS, version=version, default=True):
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(BUILD_POLL_SECONDS)
            stored = cache.call("get", key, version=version)
            if stored is not None:
                return from_stored(request, stored)
            if cache.call("get", lock, version=version) is None:  # the builder gave up
                break
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        stored = stored_form(response)
        if len(stored[1]) <= MAX_CACHED_BYTES:
            cache.call("set", key, stored, CACHE_SECONDS, version=version)
            cache.call(
                "set",
                key,
                (time.time(), stored),
                stale_if_error_seconds(),
                version=STALE_VERSION,
            )
    finally:
        cache.call("delete", lock, version=version)
    return from_stored(request, stored)


def cached_until_data_changes(view, params=NO_PARAMS, variant=htmx_variant):
    """Serve a view's successful GETs from the cache until the data or the date changes.

    `params` names the query parameters the view reads: no other reaches it or the key.
    `variant(request)` returns, as a short string, what else of the request changes the
    rendering (by default the htmx flags): each value is an entry of its own."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in {"GET", "HEAD"}:
            return view(request, *args, **kwargs)
        if params.reject_unknown and set(request.GET) - set(params.names):
            return view(request, *args, **kwargs)
        try:
            request.GET = canonical_query(request.GET, params)
        except BadParams as error:
            return bad_params(request, str(error))
        # With caching switched off (the test settings) the key would cost a query for nothing.
        if isinstance(caches["default"], DummyCache):
            return view(request, *args, **kwargs)
        cache = SafeCache(caches["default"])
        key = page_key(request, variant)
        try:
            version = page_version(data_version())
        except DatabaseError:
            stale = serve_stale(request, cache, key)
            if stale is not None:
                return stale
            raise  # config/faults.py turns it into the 503 page
        stored = cache.call("get", key, version=version)
        if stored is not None:
            return from_stored(request, stored)
        request.fragment_version = version  # for kept_fragments, under the same version
        return build(request, view, args, kwargs, cache, key, version)

    return wrapper


FRAGMENTS = "fragments"  # the cache alias of kept_fragments (config/settings/base.py)


def kept_fragments(request, name, items, render):
    """The HTML of each of `items` ({key: item}), in order, keeping each piece under the
    page cache's version while the page renders: a list page of a new filter combination
    reuses the result cards other pages rendered from the same data today. `key` must hold
    everything but the data and the date that the piece's HTML depends on; `render(items)`
    renders a list of items into a list of HTML. Outside a cached page (no version: caching
    off, or the page not cached) or without a "fragments" cache everything is rendered."""
    version = getattr(request, "fragment_version", None)
    if version is None or not items or FRAGMENTS not in settings.CACHES:
        return render(list(items.values()))
    cache = SafeCache(caches[FRAGMENTS])
    names = {key: f"fragment:{name}:{digest(key)}" for key in items}
    found = cache.call("get_many", list(names.values()), version=version, default={})
    missing = [key for key in items if names[key] not in found]
    if missing:
        fresh = dict(zip(missing, render([items[key] for key in missing]), strict=True))
        cache.call(
            "set_many",
            {names[key]: html for key, html in fresh.items()},
            CACHE_SECONDS,
            version=version,
        )
        found.update({names[key]: html for key, html in fresh.items()})
    return [found[names[key]] for key in items]
