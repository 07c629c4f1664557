"""Editors see what the source checks found (read-only: only check_sources writes them)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_sourcecheck", "view_citationcheck"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("monitoring")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="monitoring", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Editors"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="monitoring", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("platforms", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
