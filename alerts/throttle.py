"""Rate limits of the subscribe form, in Django's cache (shared by every app server when the
cache is: see README, "E-mail alerts").

Counters are keyed on a keyed hash of the client address or the e-mail address, so the cache
never holds either in clear.
"""

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

# (requests, seconds): per client address an hour, per e-mail address a day.
PER_CLIENT = (10, 60 * 60)
PER_EMAIL = (3, 24 * 60 * 60)


def cache():
    return caches[getattr(settings, "ALERTS_RATE_LIMIT_CACHE", "default")]


def client_address(request):
    """REMOTE_ADDR, or what the admin login's lockout reads behind a proxy: one setting
    (AXES_CLIENT_IP_CALLABLE) says where the client address is, for both."""
    dotted = getattr(settings, "AXES_CLIENT_IP_CALLABLE", None)
    if dotted:
        return str(import_string(dotted)(request) or "")
    return request.META.get("REMOTE_ADDR", "")


def allow(scope, value, limit):
    count, seconds = limit
    digest = salted_hmac(f"alerts.throttle.{scope}", value).hexdigest()
    key = f"alerts:throttle:{scope}:{digest}"
    store = cache()
    store.add(key, 0, timeout=seconds)
    try:
        used = store.incr(key)
    except ValueError:  # expired between add and incr
        store.set(key, 1, timeout=seconds)
        used = 1
    return used <= count


def allow_client(request):
    return allow("client", client_address(request), PER_CLIENT)


def allow_email(email):
    return allow("email", email, PER_EMAIL)
