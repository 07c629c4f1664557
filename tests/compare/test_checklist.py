"""The session-safety checklist and the encryption-path diagrams: derivation and pages."""

import datetime
import re

import pytest
from django.utils.html import escape

from compare import checklist
from compare.checklist import (
    CHECK,
    HABITS,
    MISSING,
    SWITCH_ON,
    UNKNOWN,
    build_checklist,
    first_sentence,
    section_for,
    update_items,
)
from compare.diagrams import diagram, nodes
from platforms.models import (
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Platform,
    State,
)

TODAY = datetime.date(2026, 11, 1)


def criterion(recommended, slug="thing", group=Criterion.Group.ACCESS_CONTROL, pk=1):
    return Criterion(
        pk=pk,
        slug=slug,
        label=slug.title(),
        group=group,
        recommended=recommended,
        definition="What it is.",
        why_it_matters="It matters. More detail follows.",
    )


def fact(state, crit, plan_scope="", contested=False):
    f = Fact(state=state, plan_scope=plan_scope, contested=contested, verified_on=TODAY)
    f.criterion = crit
    return f


@pytest.mark.parametrize(
    ("recommended", "state", "expected"),
    [
        # Controls a therapist should use (recommended yes / on).
        ("on", "off", SWITCH_ON),
        ("yes", "off", SWITCH_ON),
        ("on", "no", MISSING),
        ("yes", "no", MISSING),
        ("on", "on", None),
        ("yes", "yes", None),
        ("on", "partial", CHECK),
        ("on", "unknown", UNKNOWN),
        # Risks to keep away (recommended off / no).
        ("off", "on", MISSING),
        ("off", "yes", MISSING),
        ("no", "yes", MISSING),
        ("off", "off", None),
        ("off", "no", None),
        ("no", "no", None),
        ("no", "off", CHECK),  # available though never recommended: check it stays off
        ("off", "partial", CHECK),
        ("no", "unknown", UNKNOWN),
    ],
)
def test_section_follows_state_and_recommendation(recommended, state, expected):
    crit = criterion(recommended)
    assert section_for(fact(state, crit), crit) == expected


def test_plan_scope_or_contested_moves_a_met_need_to_check():
    crit = criterion("yes")
    assert section_for(fact("yes", crit, plan_scope="Paid plans only"), crit) == CHECK
    assert section_for(fact("yes", crit, contested=True), crit) == CHECK
    # A switch-on item stays a switch-on item, whatever its plan.
    assert section_for(fact("off", criterion("on"), plan_scope="Pro"), criterion("on")) == (
        SWITCH_ON
    )


def test_a_criterion_without_an_entry_is_unknown():
    assert section_for(None, criterion("yes")) == UNKNOWN


def test_items_are_worded_by_state():
    platform = Platform(name="Acme Video")
    risky, absent, baa = (
        criterion("off", "join-before-host", pk=1),
        criterion("on", "provider-2fa", pk=2),
        criterion("yes", "baa", Criterion.Group.COMPLIANCE, pk=3),
    )
    practice = criterion("yes", "free-plan", Criterion.Group.PRACTICE, pk=4)
    unverified = criterion("on", "waiting-room", pk=5)
    facts = {
        1: fact("on", risky),
        2: fact("no", absent),
        3: fact("yes", baa, plan_scope="Paid plans only"),
        4: fact("no", practice),
    }
    for f in facts.values():
        f.criterion_id = f.criterion.pk
    sections, _ = build_checklist(
        platform, [risky, absent, baa, practice, unverified], list(facts.values()), []
    )
    by_slug = {s.slug: s.items for s in sections}
    assert [i.criterion.slug for i in by_slug[MISSING]] == ["join-before-host", "provider-2fa"]
    turn_off, mitigate = by_slug[MISSING]
    assert "turn it off" in turn_off.action
    assert "does not offer it" in mitigate.action
    assert str(checklist.MITIGATIONS["provider-2fa"]) in mitigate.action
    (plan,) = by_slug[CHECK]
    assert "Paid plans only" in plan.action and "signed" in plan.action
    (ask,) = by_slug[UNKNOWN]
    assert ask.criterion.slug == "waiting-room" and ask.fact is None
    assert "ask the vendor" in ask.action
    # Practice features are not session safety: a missing free plan is not on the list.
    assert all(i.criterion.slug != "free-plan" for items in by_slug.values() for i in items)
    for items in by_slug.values():
        for item in items:
            assert item.why == item.criterion.why_it_matters


def incident(title, status, fixed_in="", disclosed=None, fixed=None, mitigation=""):
    return Incident(
        title=title,
        status=status,
        fixed_in=fixed_in,
        disclosed_on=disclosed,
        fixed_on=fixed,
        mitigation=mitigation,
        kind="security",
    )


def test_update_items_list_unfixed_then_client_versions_newest_first():
    incidents = [
        incident("Old client bug", "fixed", "4.6.9", datetime.date(2020, 4, 1)),
        incident("Cloud bug", "fixed", "Server-side fix (cloud)", datetime.date(2024, 5, 1)),
        incident("New client bug", "fixed", "5.11.6", datetime.date(2022, 8, 12)),
        incident("Still open", "open", mitigation="Use the waiting room."),
        incident("Nobody knows", "unknown"),
    ]
    titles = [item.title for item in update_items(incidents)]
    assert titles == ["Nobody knows", "Still open", "New client bug", "Old client bug"]
    items = {item.title: item for item in update_items(incidents)}
    assert "5.11.6 or later" in items["New client bug"].action
    assert "Not known to be fixed" in items["Still open"].action
    assert "Use the waiting room." in items["Still open"].action


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("One. Two.", "One."),
        ("In 2020 the U.S. Federal Trade Commission said so. Then more.", None),
        ("Use it, e.g. Zoom does. Then more.", "Use it, e.g. Zoom does."),
        ('It said "end-to-end." Then more.', 'It said "end-to-end."'),
        ("Version 5.0 fixed it. Then more.", "Version 5.0 fixed it."),
        ("Only one sentence.", "Only one sentence."),
    ],
)
def test_first_sentence(text, first):
    lead, rest = first_sentence(text)
    assert lead + rest == text
    if first is None:
        assert lead.endswith("said so.")
    else:
        assert lead == first


def path(connection, decrypted_at, key_holder, contested=False):
    return EncryptionPath(
        connection=connection,
        decrypted_at=decrypted_at,
        key_holder=key_holder,
        contested=contested,
        transport="TLS",
        verified_on=TODAY,
    )


def test_room_and_dial_in_paths_decrypt_at_the_connector_and_gateway():
    room = nodes(path("room", "connector", "vendor"), "Zoom")
    assert [n.label for n in room] == ["Your app", "Zoom servers", "Room connector", "Room system"]
    assert [n.label for n in room if n.decrypts] == ["Room connector"]
    assert [n.label for n in room if n.holds_key] == ["Zoom servers"]
    phone = nodes(path("dial_in", "gateway", "vendor"), "Zoom")
    assert [n.label for n in phone if n.decrypts] == ["Phone gateway"]
    assert phone[-1].label == "Client’s phone"


def test_end_to_end_decrypts_only_at_the_ends_and_servers_relay():
    hops = nodes(path("e2ee", "endpoints", "participants"), "Zoom")
    assert [n.decrypts for n in hops] == [True, False, True]
    assert [n.holds_key for n in hops] == [True, False, True]
    assert hops[1].relays_encrypted


def test_unknown_decryption_marks_no_hop():
    hops = nodes(path("dial_in", "unknown", "unknown"), "VSee")
    assert not any(n.decrypts or n.holds_key for n in hops)


def test_diagram_puts_end_to_end_beside_default_and_summarises_in_words():
    paths = [
        path("recording", "recording_server", "vendor"),
        path("e2ee", "endpoints", "participants"),
        path("app", "media_server", "vendor"),
    ]
    drawn = diagram(paths, "Webex")
    assert [p.connection for p in drawn["default"]] == ["app"]
    assert [p.connection for p in drawn["e2ee"]] == ["e2ee"]
    assert [p.connection for p in drawn["others"]] == ["recording"]
    app = drawn["default"][0]
    assert "Your app to Webex servers to Client’s app" in app.summary
    assert "vendor media server" in app.summary and "the vendor's servers" in app.summary


# Pages -------------------------------------------------------------------------------------


def page_items(html):
    return re.findall(r'<li class="checklist-item">', html)


@pytest.mark.django_db
def test_checklist_page_for_every_published_platform(client, seeded):
    criteria = list(Criterion.objects.all())
    for platform in Platform.objects.published():
        response = client.get(f"/platforms/{platform.slug}/checklist/")
        assert response.status_code == 200
        html = response.content.decode()
        sections = response.context["sections"]
        expected, _ = build_checklist(
            platform,
            criteria,
            list(platform.facts.select_related("criterion")),
            list(platform.incidents.all()),
        )
        assert [s.slug for s in sections] == [s.slug for s in expected]
        assert len(page_items(html)) == sum(len(s.items) for s in expected) + len(HABITS)
        for section in sections:
            assert f'id="checklist-{section.slug}"' in html
            for item in section.items:
                assert escape(item.why_parts[0]) in html
                for number in item.refs:
                    assert f'id="source-{number}"' in html
        for habit in HABITS:
            assert escape(str(habit.title)) in html


@pytest.mark.django_db
def test_checklist_items_come_from_the_data(client, seeded):
    sections = {s.slug: s for s in client.get("/platforms/doxy-me/checklist/").context["sections"]}
    switch_on = [i.criterion.slug for i in sections[SWITCH_ON].items]
    assert switch_on == list(
        Fact.objects.filter(
            platform__slug="doxy-me",
            state=State.OFF_BY_DEFAULT,
            criterion__recommended__in=["on", "yes"],
        )
        .exclude(criterion__group="practice")
        .order_by("criterion__order")
        .values_list("criterion__slug", flat=True)
    )
    assert "provider-2fa" in [i.criterion.slug for i in sections[MISSING].items]
    unknown = {i.criterion.slug for i in sections[UNKNOWN].items}
    assert unknown == set(
        Fact.objects.filter(platform__slug="doxy-me", state=State.UNKNOWN)
        .exclude(criterion__group="practice")
        .values_list("criterion__slug", flat=True)
    )
    zoom = client.get("/platforms/zoom/checklist/").context["sections"]
    updates = next(s for s in zoom if s.slug == "update").items
    assert any("5.11.6" in item.why for item in updates)
    assert not any("Server-side" in item.action for item in updates)


@pytest.mark.django_db
def test_checklist_of_an_unpublished_platform_is_404(client, seeded):
    Platform.objects.filter(slug="vsee").update(published=False)
    assert client.get("/platforms/vsee/checklist/").status_code == 404


@pytest.mark.django_db
def test_checklist_is_linked_from_platform_and_compare_pages(client, seeded):
    assert 'href="/platforms/zoom/checklist/"' in client.get("/platforms/zoom/").content.decode()
    html = client.get("/compare/?p=zoom&p=webex&p=vsee").content.decode()
    for slug in ["zoom", "webex", "vsee"]:
        assert html.count(f'href="/platforms/{slug}/checklist/"') == 1


@pytest.mark.django_db
def test_platform_page_draws_every_path_with_a_text_equivalent(client, seeded):
    zoom = Platform.objects.get(slug="zoom")
    html = client.get("/platforms/zoom/").content.decode()
    for p in zoom.encryption_paths.all():
        figure = html.split(f'id="diagram-{p.connection}"', 1)[1].split("</figure>", 1)[0]
        assert '<ol class="enc-flow" aria-hidden="true">' in figure
        assert escape(f"Decrypted at: {p.get_decrypted_at_display().lower()}") in figure
        assert ("Contested" in figure) == p.contested
    for connection, hop in [("room", "Room connector"), ("dial_in", "Phone gateway")]:
        figure = html.split(f'id="diagram-{connection}"', 1)[1].split("</figure>", 1)[0]
        decrypting = re.findall(
            r'class="enc-node[^"]*enc-decrypts[^"]*">\s*<span class="enc-label">([^<]+)<', figure
        )
        assert decrypting == [hop]
        assert "Decrypted here" in figure


@pytest.mark.django_db
def test_compare_page_has_a_compact_diagram_per_platform(client, seeded):
    html = client.get("/compare/?p=zoom&p=doxy-me").content.decode()
    section = html.split('id="enc-compare-heading"', 1)[1]
    for p in EncryptionPath.objects.filter(platform__slug__in=["zoom", "doxy-me"]):
        assert p.get_connection_display() in section
    assert section.count('class="enc-compact"') == 2
