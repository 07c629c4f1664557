"""Editors see what the source checks found (read-only: only check_sources writes them)."""

from django.db import migrations

from platforms.editors import grant_to_editors


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("platforms", "0003_editors_group"),
    ]

    operations = [
        migrations.RunPython(
            *grant_to_editors("monitoring", ["view_sourcecheck", "view_citationcheck"])
        )
    ]
