"""The "Editors" group's permissions on another app's models, for that app's migrations.

platforms/migrations/0003_editors_group.py creates the group; an app whose admin editors use
grants its permissions with `grant_to_editors(app_label, codenames)` in a RunPython."""

from django.contrib.auth.management import create_permissions

EDITORS = "Editors"


def grant_to_editors(app_label, codenames):
    """(forward, backward) functions for migrations.RunPython."""

    def permissions(apps):
        return apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )

    def grant(apps, schema_editor):
        # Permissions are normally created after all migrations ran (post_migrate); a fresh
        # database needs them now.
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
        editors, _ = apps.get_model("auth", "Group").objects.get_or_create(name=EDITORS)
        editors.permissions.add(*permissions(apps))

    def revoke(apps, schema_editor):
        for group in apps.get_model("auth", "Group").objects.filter(name=EDITORS):
            group.permissions.remove(*permissions(apps))

    return grant, revoke
