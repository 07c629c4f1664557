"""Editors review readers' corrections: view and change them (never add or delete: they come
from the public form, and their trail stays)."""

from django.db import migrations

from platforms.editors import grant_to_editors


class Migration(migrations.Migration):
    dependencies = [
        ("corrections", "0001_initial"),
        ("platforms", "0003_editors_group"),
    ]

    operations = [
        migrations.RunPython(
            *grant_to_editors("corrections", ["view_correction", "change_correction"])
        )
    ]
