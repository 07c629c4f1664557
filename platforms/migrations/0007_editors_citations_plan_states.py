"""Editors edit a fact's citations and per-plan states inline on its page (issue 11).

Removing a citation or a plan's differing state is part of editing the fact, so Editors may
delete those rows; they still never delete platforms, sources, facts or anything else.
"""

from django.db import migrations

from platforms.editors import grant_to_editors

CODENAMES = [
    f"{action}_{model}"
    for model in ("citation", "planstate")
    for action in ("add", "change", "delete", "view")
]


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0006_source_criterion_version"),
    ]

    operations = [migrations.RunPython(*grant_to_editors("platforms", CODENAMES))]
