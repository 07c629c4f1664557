"""Local development: DEBUG on unless told otherwise, a throwaway key, loopback hosts."""

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import env_bool, env_list, os

DEBUG = env_bool("DEBUG", default=True)
# A fresh random key per process when none is set: sessions don't survive a restart, which
# is fine for development and means no key is ever committed.
SECRET_KEY = os.environ.get("SECRET_KEY") or get_random_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# E-mail (alerts' confirmations and digests) is printed in the `make run` terminal.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
