"""Backup and restore as README "Backup and restore" says: a natural-key dump of the data,
loaded into an empty database, gives back the same published dataset."""

import json

import pytest
from django.core.cache import caches
from django.core.management import call_command

from platforms.models import Fact

from .admin_forms import form_data, staff_client

# The labels README.md gives for the dump, in the same order.
BACKUP_LABELS = [
    "auth.group",
    "auth.user",
    "platforms.source",
    "platforms.criterion",
    "platforms.platform",
    "platforms.plan",
    "platforms.fact",
    "platforms.planstate",
    "platforms.citation",
    "platforms.encryptionpath",
    "platforms.incident",
]


def published_dataset(client):
    caches["default"].clear()  # never a page cached before the restore
    response = client.get("/platforms.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    data.pop("generated_at")
    return data


@pytest.mark.slow  # the seed command, dumpdata, flush and loaddata: seconds
@pytest.mark.django_db(transaction=True)
def test_dump_flush_load_gives_the_same_dataset(client, tmp_path):
    call_command("seed", verbosity=0)
    admin, user = staff_client("keeper")
    # An admin's work: a verified fact (so the dump holds a user reference) and a deleted one.
    fact = (
        Fact.objects.filter(citations__isnull=False, plan_states__isnull=False)
        .select_related("platform", "criterion")
        .distinct()[0]
    )
    url = f"/admin/platforms/fact/{fact.pk}/change/"
    data = form_data(admin.get(url))
    data["note"] = "Checked again against the vendor page."
    data["verified_on"] = "2026-01-05"
    assert admin.post(url, data).status_code == 302
    doomed = Fact.objects.exclude(pk=fact.pk).first()
    assert (
        admin.post(f"/admin/platforms/fact/{doomed.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    before = published_dataset(client)
    # What the restore has to bring back: plans with prices, per-plan states, quotes.
    facts = [f for p in before["platforms"] for f in p["facts"].values()]
    assert any(s["quote"] for f in facts for s in f["sources"])
    assert any(len(set(f["by_plan"].values()) | {f["state"]}) > 1 for f in facts)

    backup = tmp_path / "backup.json"
    call_command(
        "dumpdata",
        *BACKUP_LABELS,
        natural_foreign=True,
        natural_primary=True,
        output=str(backup),
        verbosity=0,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert not Fact.objects.exists()
    call_command("loaddata", str(backup), verbosity=0)

    assert published_dataset(client) == before
    restored = Fact.objects.get_by_natural_key(fact.platform.slug, fact.criterion.slug)
    assert restored.verified_by.username == user.username
    assert restored.note == "Checked again against the vendor page."
