import pytest
from django.core.management import call_command

from platforms.integrity import data_problems
from platforms.models import Criterion, Fact, Incident, Platform, State

pytestmark = pytest.mark.django_db

SEED_SLUGS = {"zoom", "webex", "doxy-me", "vsee", "theraplatform"}


def test_seed_loads_and_passes_the_data_check(seeded):
    assert SEED_SLUGS <= set(Platform.objects.values_list("slug", flat=True))
    assert Criterion.objects.count() >= 20
    assert data_problems() == []


def test_every_platform_has_every_criterion(seeded):
    criteria = Criterion.objects.count()
    for platform in Platform.objects.all():
        assert platform.facts.count() == criteria, platform


def test_seed_is_honest_about_unknowns_and_contested_claims(seeded):
    # The dossier has next to nothing on TheraPlatform's security: that must read "unknown".
    assert Fact.objects.get(platform__slug="theraplatform", criterion__slug="baa").state == (
        State.UNKNOWN
    )
    assert Fact.objects.filter(contested=True).exists()
    zoom_room = Platform.objects.get(slug="zoom").encryption_paths.get(connection="room")
    assert zoom_room.decrypted_at == "connector"


def test_seed_carries_the_incidents_with_cve_ids(seeded):
    cves = {cve for i in Incident.objects.all() for cve in i.cve_list}
    assert {"CVE-2020-11469", "CVE-2020-11470", "CVE-2020-3419", "CVE-2022-28756"} <= cves


def test_seeding_twice_changes_nothing(seeded):
    before = list(Fact.objects.order_by("pk").values())
    call_command("seed", verbosity=0)
    assert list(Fact.objects.order_by("pk").values()) == before


def test_seed_never_overwrites_an_admin_edit(seeded):
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    fact.note = "Edited by an admin"
    fact.save()
    call_command("seed", verbosity=0)
    fact.refresh_from_db()
    assert fact.note == "Edited by an admin"


def test_data_check_reports_an_unsourced_fact(seeded):
    fact = Fact.objects.known().first()
    fact.sources.clear()
    assert any(str(fact) in problem for problem in data_problems())
