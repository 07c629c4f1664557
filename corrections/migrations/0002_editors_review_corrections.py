"""Editors review readers' corrections: view and change them (never add or delete: they come
from the public form, and their trail stays)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_correction", "change_correction"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("corrections")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="corrections", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Editors"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="corrections", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("corrections", "0001_initial"),
        ("platforms", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
