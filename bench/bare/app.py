"""The smallest Django app, the benchmark's yardstick: no middleware, no database, one view
rendering a 30-card template shaped like the list page's results. bench/run.py serves it
with the same gunicorn and gunicorn.conf.py (so the same worker count) as the site:

    DJANGO_SETTINGS_MODULE=bench.bare.app gunicorn -c gunicorn.conf.py bench.bare.app:application
"""

from pathlib import Path

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-a-secret",  # noqa: S106
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [Path(__file__).parent],
            }
        ],
    )

import django  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

BADGES = ["HIPAA BAA", "End-to-end encryption", "Waiting room", "Join in a browser"]
CARDS = [
    {
        "name": f"Platform {n}",
        "slug": f"platform-{n}",
        "vendor": f"Vendor {n}",
        "summary": "A video platform for therapy sessions, with the facts a therapist checks.",
        "badges": [
            {"label": label, "state": "yes" if (n + i) % 3 else "unknown"}
            for i, label in enumerate(BADGES)
        ],
    }
    for n in range(30)
]


def cards(request):
    return render(request, "cards.html", {"cards": CARDS})


urlpatterns = [path("", cards)]

django.setup()
application = get_wsgi_application()
