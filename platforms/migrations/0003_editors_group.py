"""The "Editors" group: add, change and view platform data; never delete it, never manage people.

Superusers put staff users in this group; only superusers manage users and groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
PLATFORM_DATA = ["source", "platform", "plan", "criterion", "fact", "encryptionpath", "incident"]
ACTIONS = ["add", "change", "view"]


def create_editors(apps, schema_editor):
    # Permissions are normally created after all migrations ran (post_migrate); a fresh
    # database needs them now.
    for label in ("auth", "contenttypes", "platforms"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    codenames = [f"{action}_{model}" for model in PLATFORM_DATA for action in ACTIONS]
    editors.permissions.set(
        Permission.objects.filter(content_type__app_label="platforms", codename__in=codenames)
    )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=EDITORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("platforms", "0002_history_version_verified_by"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
