"""Template context every page may use."""

from django.conf import settings


def site(request):
    # The configured address (SITE_URL), never the request's Host header: a page may be
    # cached and shown to everyone, so nothing a client sends may be printed in it.
    return {"site_url": settings.SITE_URL}
