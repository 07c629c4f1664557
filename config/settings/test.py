"""The test suite: fast hashing, a fixed key, DEBUG off like production."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key-not-used-anywhere-else-0123456789abcdef"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app and project folders; no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Pages are cached until the data changes (config/caching.py), keyed on row ids; each test
# rolls its rows back, so on SQLite the next test reuses those ids. No cache here, then:
# tests/compare/test_caching.py turns one on where it tests the caching itself.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# E-mail stays in memory (django.core.mail.outbox); the site's address is fixed.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "https://compare.example.org"
