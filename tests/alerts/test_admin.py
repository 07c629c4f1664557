"""The admin: addresses only for superusers (editors never see them), erased without a trace."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group

from alerts.models import Subscription
from tests.platforms.admin_forms import staff_client

pytestmark = pytest.mark.django_db


def test_erase_leaves_no_copy_of_the_address(seeded):
    kept = Subscription.objects.create(email="kept@example.org")
    gone = Subscription.objects.create(email="erase-me@example.org")
    admin, _user = staff_client("alerts-superuser")
    listing = admin.get("/admin/alerts/subscription/")
    assert listing.status_code == 200 and "erase-me@example.org" in listing.content.decode()
    assert "Erase the selected addresses" in listing.content.decode()
    response = admin.post(
        "/admin/alerts/subscription/",
        {"action": "erase", "_selected_action": [gone.pk]},
        follow=True,
    )
    assert "Erased 1 address" in response.content.decode()
    assert list(Subscription.objects.all()) == [kept]
    entry = LogEntry.objects.get()
    assert entry.object_repr == f"Subscription #{gone.pk}"
    assert "erase-me" not in entry.object_repr + entry.change_message


def test_editors_never_see_addresses_and_nobody_adds_one(seeded):
    Subscription.objects.create(email="private@example.org")
    editor, _user = staff_client(
        "alerts-editor", superuser=False, groups=[Group.objects.get(name="Editors")]
    )
    assert editor.get("/admin/alerts/subscription/").status_code == 403
    assert "private@example.org" not in editor.get("/admin/").content.decode()
    admin, _user = staff_client("alerts-superuser")
    assert admin.get("/admin/alerts/subscription/add/").status_code == 403
