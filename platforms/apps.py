from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "platforms"
    verbose_name = "Platform data"

    def ready(self):
        from . import signals  # noqa: F401 - connects the need masks' receivers
