"""The session-safety checklist and the encryption-path diagrams: derivation and pages."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import escape
from model_bakery import baker

from compare import checklist
from compare.checklist import (
    SectionKind,
    build_checklist,
    first_sentence,
    section_for,
    update_items,
)
from compare.diagrams import diagram, nodes
from platforms.integrity import data_problems
from platforms.models import (
    Citation,
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    PlanState,
    Platform,
    Source,
    State,
)

SWITCH_ON, MISSING, CHECK, UNKNOWN = (
    SectionKind.SWITCH_ON,
    SectionKind.MISSING,
    SectionKind.CHECK,
    SectionKind.UNKNOWN,
)
TODAY = datetime.date(2026, 11, 1)
# A test stand-in for the sentence a cited page says; test data only, never site data.
TEST_QUOTE = "A sentence standing in for the cited page's words, in the test database."


# The checklist reads each fact's evidence strength from its citations and its per-plan
# reading from its plans, so the facts here are saved rows, loaded as the page loads them.


@pytest.fixture
def platform(db):
    return baker.make(Platform, name="Acme Video", slug="acme-video")


def criterion(recommended, slug="thing", group=Criterion.Group.ACCESS_CONTROL, **texts):
    return baker.make(
        Criterion,
        slug=slug,
        label=slug.title(),
        group=group,
        recommended=recommended,
        order=0,
        definition="What it is.",
        why_it_matters="It matters. More detail follows.",
        **texts,
    )


def fact(platform, state, crit, plan_scope="", contested=False, kinds=("vendor",), plans=None):
    """A saved fact citing one quoted source of each of `kinds` (none when unknown), with
    its state on the named plans (`plans`: {Plan: state})."""
    row = Fact.objects.create(
        platform=platform,
        criterion=crit,
        state=state,
        plan_scope=plan_scope,
        contested=contested,
        contested_reason="Two sources disagree." if contested else "",
        verified_on=TODAY,
    )
    for kind in kinds if state != State.UNKNOWN else ():
        source = baker.make(
            Source, url=f"https://example.org/{crit.slug}/{kind}", kind=kind, accessed_on=TODAY
        )
        Citation.objects.create(fact=row, source=source, quote=TEST_QUOTE, seen_on=TODAY)
    for plan, plan_state in (plans or {}).items():
        PlanState.objects.create(fact=row, plan=plan, state=plan_state)
    return Fact.objects.with_evidence().get(pk=row.pk)


def checklist_of(platform, criteria):
    """The sections by slug, built from the platform's facts as the page loads them."""
    platform = Platform.objects.prefetch_related("plans").get(pk=platform.pk)
    sections, _ = build_checklist(
        platform, criteria, Fact.objects.with_evidence().filter(platform=platform), []
    )
    return {s.slug: s.items for s in sections}


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
def test_section_follows_state_and_recommendation(platform, recommended, state, expected):
    """For a fact the vendor itself states, on a platform without plans."""
    crit = criterion(recommended)
    assert section_for(fact(platform, state, crit), crit) == expected


@pytest.mark.parametrize(
    ("kinds", "contested", "expected"),
    [
        (("vendor",), False, None),
        (("vendor", "third_party"), False, None),
        (("third_party",), False, CHECK),  # nobody but others say so
        (("official", "test"), False, CHECK),  # not the vendor's own word either
        (("vendor",), True, CHECK),
    ],
)
def test_a_met_need_is_checked_unless_the_vendor_states_it_uncontested(
    platform, kinds, contested, expected
):
    crit = criterion("yes")
    assert section_for(fact(platform, "yes", crit, kinds=kinds, contested=contested), crit) == (
        expected
    )


def test_plan_scope_per_plan_states_or_contested_move_a_met_need_to_check(platform):
    crit = criterion("yes")
    assert section_for(fact(platform, "yes", crit, plan_scope="Paid plans only"), crit) == CHECK
    contested = criterion("yes", "contested-thing")
    assert section_for(fact(platform, "yes", contested, contested=True), contested) == CHECK
    # A switch-on item stays a switch-on item, whatever its plan.
    switch = criterion("on", "switch-thing")
    assert section_for(fact(platform, "off", switch, plan_scope="Pro"), switch) == SWITCH_ON


def test_a_need_met_on_some_plans_only_is_checked_plan_by_plan(platform):
    basic = baker.make(Plan, platform=platform, name="Basic", slug="basic", free=True, order=0)
    baker.make(Plan, platform=platform, name="Pro", slug="pro", order=1)
    baa = criterion("yes", "baa", Criterion.Group.COMPLIANCE)
    same = criterion("yes", "same-everywhere")
    fact(platform, "yes", baa, plan_scope="Paid plans", plans={basic: State.NO})
    fact(platform, "yes", same)
    by_slug = checklist_of(platform, [baa, same])
    (item,) = by_slug[CHECK]
    assert item.criterion == baa
    # The recorded state on each plan, said once (the scope's words say the same).
    assert item.action == (
        "Differs by plan (No on Basic; Yes on Pro): confirm yours is covered and that the "
        "agreement is signed."
    )
    # A state shared by every plan needs nothing from the therapist.
    assert all(i.criterion != same for items in by_slug.values() for i in items)


def test_off_by_default_where_some_plans_lack_it_says_on_which_plans_to_switch_it_on(platform):
    plans = [
        baker.make(Plan, platform=platform, name=name, slug=name.lower(), order=n)
        for n, name in enumerate(["Starter", "Business", "Enterprise"])
    ]
    starter, business, enterprise = plans
    e2ee = criterion("on", "e2ee", Criterion.Group.ENCRYPTION)
    plain = criterion("on", "plain")
    fact(platform, "off", e2ee, plans={starter: State.NO, business: State.NO, enterprise: "off"})
    fact(platform, "off", plain)
    (item, same) = checklist_of(platform, [e2ee, plain])[SWITCH_ON]
    assert item.criterion == e2ee
    assert item.action == (
        "Off by default on Acme Video: switch it on in the settings on Enterprise. "
        "Starter and Business lack it."
    )
    assert same.action == "Off by default on Acme Video: switch it on in the settings."


def test_a_criterion_without_an_entry_is_unknown():
    assert section_for(None, Criterion(recommended="yes")) == UNKNOWN


def test_items_are_worded_by_state(platform):
    risky, absent, baa = (
        criterion("off", "join-before-host"),
        criterion("on", "provider-2fa", mitigation="Use a long, unique password."),
        criterion("yes", "baa", Criterion.Group.COMPLIANCE),
    )
    practice = criterion("yes", "free-plan", Criterion.Group.PRACTICE)
    unverified = criterion("on", "waiting-room")
    hearsay = criterion("yes", "browser-join", Criterion.Group.CLIENT_ACCESS)
    fact(platform, "on", risky)
    fact(platform, "no", absent)
    fact(platform, "yes", baa, plan_scope="Paid plans only")
    fact(platform, "no", practice)
    fact(platform, "yes", hearsay, kinds=("third_party",))
    by_slug = checklist_of(platform, [risky, absent, baa, practice, unverified, hearsay])
    assert [i.criterion.slug for i in by_slug[MISSING]] == ["join-before-host", "provider-2fa"]
    turn_off, mitigate = by_slug[MISSING]
    assert "turn it off" in turn_off.action
    assert "does not offer it" in mitigate.action
    assert (
        mitigate.action == "Acme Video does not offer it. Mitigate: Use a long, unique password."
    )
    plan, others = by_slug[CHECK]
    assert "Paid plans only" in plan.action and "signed" in plan.action
    assert others.criterion == hearsay and "Only third parties say so" in others.action
    (ask,) = by_slug[UNKNOWN]
    assert ask.criterion.slug == "waiting-room" and ask.fact is None
    assert "ask the vendor" in ask.action
    # Practice features are not session safety: a missing free plan is not on the list.
    assert all(i.criterion.slug != "free-plan" for items in by_slug.values() for i in items)
    for items in by_slug.values():
        for item in items:
            assert item.why == item.criterion.why_it_matters
            # Each item cites what its fact cites.
            assert item.sources == (
                [c.source for c in item.fact.citations.all()] if item.fact else []
            )


def test_a_criterion_without_mitigation_text_gets_plain_advice_and_check_data_lists_it(
    platform,
):
    bare = criterion("yes", "new-control")
    practice = criterion("yes", "new-practice-thing", Criterion.Group.PRACTICE)
    fact(platform, "no", bare)
    (item,) = checklist_of(platform, [bare, practice])[MISSING]
    # Advice that says it is general, never another row's remedy and no "Mitigate:".
    assert item.action == f"Acme Video does not offer it. {checklist.FALLBACK_MITIGATION}"
    problems = [p for p in data_problems() if "without mitigation text" in p]
    assert len(problems) == 1 and problems[0].startswith("new-control: ")
    # Practice features are not on the checklist: they need no mitigation text.
    assert list(Criterion.objects.lacking_mitigation()) == [bare]


def test_the_checklist_texts_follow_their_criterion_through_a_renamed_slug(platform):
    """The old code keyed the texts by slug: a renamed row silently lost them."""
    texts = {"mitigation": "Do this instead.", "habit": "A habit", "habit_why": "Why. More."}
    crit = criterion("on", "waiting-room", **texts)
    fact(platform, "no", crit)
    Criterion.objects.filter(pk=crit.pk).update(slug="lobby")
    crit.refresh_from_db()
    platform = Platform.objects.prefetch_related("plans").get(pk=platform.pk)
    sections, habits = build_checklist(
        platform, [crit], Fact.objects.with_evidence().filter(platform=platform), []
    )
    (section,) = sections
    assert section.items[0].action.endswith("Mitigate: Do this instead.")
    (habit,) = habits
    assert (habit.title, habit.why, habit.criterion) == ("A habit", "Why. More.", crit)
    assert habit.sources == [c.source for c in habit.fact.citations.all()]


def test_a_habit_needs_its_reason(db):
    with pytest.raises(ValidationError, match="both its words and why it matters"):
        Criterion(slug="x", habit="A habit").validate_constraints()


def test_sections_print_in_the_order_of_the_enum(platform):
    kinds = {
        SWITCH_ON: ("on", "off"),
        MISSING: ("on", "no"),
        CHECK: ("on", "partial"),
        UNKNOWN: ("on", "unknown"),
    }
    criteria = []
    for n, (recommended, state) in enumerate(reversed(kinds.values())):
        crit = criterion(recommended, f"row-{n}", mitigation="Do this.")
        fact(platform, state, crit)
        criteria.append(crit)
    assert list(checklist_of(platform, criteria)) == [
        kind for kind in SectionKind if kind in kinds
    ]
    assert [kind.value for kind in SectionKind] == [
        "switch-on",
        "missing",
        "check",
        "update",
        "unknown",
    ]


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


def test_update_items_list_unfixed_then_one_item_for_every_client_fix():
    incidents = [
        incident("Old client bug", "fixed", "4.6.9", datetime.date(2020, 4, 1)),
        incident("Cloud bug", "fixed", "Server-side fix (cloud)", datetime.date(2024, 5, 1)),
        incident("New client bug (detail)", "fixed", "5.11.6 (CVE-1)", datetime.date(2022, 8, 12)),
        incident("Two products", "fixed", "Win 5.9.2; Rooms 5.10.0", datetime.date(2021, 1, 2)),
        incident("Still open", "open", mitigation="Use the waiting room."),
        incident("Nobody knows", "unknown"),
    ]
    items = update_items(incidents, "Acme")
    titles = [item.title for item in items]
    # The highest version any fix names (5.11.6 > 5.10.0 > 5.9.2, compared as numbers).
    assert titles == ["Nobody knows", "Still open", "Update the Acme app to at least 5.11.6"]
    assert "Not known to be fixed" in items[1].action
    assert "Use the waiting room." in items[1].action
    update = items[-1]
    assert "3 known flaws" in update.action
    # Every client fix, newest first, by its short title and version; the cloud fix is not.
    assert [(f.title, f.version) for f in update.fixes] == [
        ("New client bug", "5.11.6"),
        ("Two products", "Win 5.9.2; Rooms 5.10.0"),
        ("Old client bug", "4.6.9"),
    ]


def test_no_client_fix_no_update_item():
    incidents = [incident("Cloud bug", "fixed", "Server-side fix", datetime.date(2024, 5, 1))]
    assert update_items(incidents, "Acme") == []


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
            Platform.objects.prefetch_related("plans").get(pk=platform.pk),
            criteria,
            Fact.objects.with_evidence().filter(platform=platform),
            list(platform.incidents.all()),
        )
        assert [s.slug for s in sections] == [s.slug for s in expected]
        for section, derived in zip(sections, expected, strict=True):
            assert [(i.title, i.action) for i in section.items] == [
                (i.title, i.action) for i in derived.items
            ]
        habits = Criterion.objects.exclude(habit="")
        assert len(page_items(html)) == sum(len(s.items) for s in expected) + len(habits)
        for section in sections:
            assert f'id="checklist-{section.slug}"' in html
            for item in section.items:
                assert escape(item.why_parts[0]) in html
                for number in item.refs:
                    assert f'id="source-{number}"' in html
        for habit in habits:
            assert escape(habit.habit) in html


def safety_facts(slug):
    return Fact.objects.filter(platform__slug=slug).exclude(criterion__group="practice")


def slugs_of(facts):
    return set(facts.values_list("criterion__slug", flat=True))


WANTED = ["on", "yes"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["doxy-me", "spruce-health"])
def test_checklist_items_come_from_the_data(client, seeded, slug):
    page = client.get(f"/platforms/{slug}/checklist/").context["sections"]
    sections = {s.slug: {i.criterion.slug: i for i in s.items} for s in page}
    facts = safety_facts(slug)
    switch_on = facts.filter(state=State.OFF_BY_DEFAULT, criterion__recommended__in=WANTED)
    assert set(sections.get(SWITCH_ON, {})) == slugs_of(switch_on)
    missing = facts.filter(
        Q(state=State.NO, criterion__recommended__in=WANTED)
        | Q(state__in=WANTED, criterion__recommended__in=["off", "no"])
    )
    assert set(sections.get(MISSING, {})) == slugs_of(missing)
    assert set(sections.get(UNKNOWN, {})) == slugs_of(facts.filter(state=State.UNKNOWN))
    # A need the platform-wide state meets is still checked when the evidence is contested
    # or only third parties', or when a plan differs; the action says which.
    met = [f for f in facts.select_related("criterion") if f.meets_need]
    doubted = slugs_of(facts.contested_or_third_party()) & {f.criterion.slug for f in met}
    per_plan = {
        f.criterion.slug
        for f in met
        if f.plan_states.exclude(state=f.state).exists() and not f.criterion.follows_free_plans
    }
    check = sections.get(CHECK, {})
    assert doubted | per_plan <= set(check)
    for criterion_slug in doubted:
        assert re.search("Contested|Only third parties", check[criterion_slug].action)
    for criterion_slug in per_plan:
        assert "Differs by plan" in check[criterion_slug].action


@pytest.mark.django_db
def test_the_seed_data_fills_the_sections_the_test_above_derives(client, seeded):
    """So that test cannot pass on empty sets. Spruce Health lacks recommended controls;
    Doxy.me's two-factor login was searched for and not found (unknown, not missing), and
    its BAA is contested and its waiting room differs by plan."""
    spruce = {
        s.slug: s for s in client.get("/platforms/spruce-health/checklist/").context["sections"]
    }
    assert spruce[MISSING].items
    doxy = {s.slug: s for s in client.get("/platforms/doxy-me/checklist/").context["sections"]}
    assert MISSING not in doxy
    assert "provider-2fa" in {i.criterion.slug for i in doxy[UNKNOWN].items}
    assert {"baa", "waiting-room"} <= {i.criterion.slug for i in doxy[CHECK].items}


@pytest.mark.django_db
def test_zoom_checklist_groups_client_updates_into_one_item(client, seeded):
    response = client.get("/platforms/zoom/checklist/")
    html = response.content.decode()
    updates = next(s for s in response.context["sections"] if s.slug == "update").items
    (grouped,) = [item for item in updates if item.fixes]
    client_fixed = [
        i
        for i in Incident.objects.filter(platform__slug="zoom")
        if i.status not in {"open", "unknown"} and checklist.names_client_version(i)
    ]
    assert len(client_fixed) > 1
    # One item names every client fix's version, each with its own numbered sources.
    assert len(grouped.fixes) == len(client_fixed)
    assert {fix.incident.pk for fix in grouped.fixes} == {i.pk for i in client_fixed}
    newest = max(v for i in client_fixed for v in checklist.versions_in(i.fixed_in))
    assert grouped.title.endswith(".".join(map(str, newest)))
    for fix in grouped.fixes:
        for version in re.findall(r"\d+(?:\.\d+)+", fix.incident.fixed_in):
            assert version in fix.version
        assert escape(f"{fix.title}: {fix.version}") in html
        assert len(fix.refs) == fix.incident.sources.count() > 0
        for ref in fix.refs:
            assert f'id="source-{ref}"' in html
    # The rest are incidents not known to be fixed; server-side fixes are left out.
    assert all(i.incident.status in {"open", "unknown"} for i in updates if not i.fixes)
    assert not any("Server-side" in fix.version for fix in grouped.fixes)


@pytest.mark.django_db
def test_an_edited_mitigation_and_habit_show_on_the_checklist(client, seeded):
    missing = (
        Fact.objects.filter(platform__slug="spruce-health", state=State.NO)
        .filter(criterion__recommended__in=WANTED)
        .exclude(criterion__group="practice")
        .select_related("criterion")
        .first()
    )
    crit = missing.criterion
    assert crit.mitigation  # the seed carries one, and the page shows it
    html = client.get("/platforms/spruce-health/checklist/").content.decode()
    assert escape(crit.mitigation) in html
    crit.mitigation = "An editor’s new advice for this gap."
    habit = Criterion.objects.exclude(habit="").first()
    habit.habit = "An editor’s new habit"
    Criterion.objects.bulk_update([crit, habit], ["mitigation", "habit"])
    html = client.get("/platforms/spruce-health/checklist/").content.decode()
    assert escape("Mitigate: An editor’s new advice for this gap.") in html
    assert escape("An editor’s new habit") in html


@pytest.mark.django_db
def test_the_seed_habits_are_those_the_code_held(client, seeded):
    habits = client.get("/platforms/zoom/checklist/").context["habits"]
    assert [h.title for h in habits] == [
        "Never post a meeting link publicly",
        "A unique meeting ID and passcode for every session",
        "Only the host shares the screen",
        "Don’t click links in meeting chat",
    ]
    # Each cites what Zoom's fact for its row cites.
    for habit in habits:
        assert habit.fact.platform.slug == "zoom" and habit.fact.criterion == habit.criterion
        assert habit.sources == [c.source for c in habit.fact.citations.all()]
    assert any(habit.sources for habit in habits)
    # And every criterion the checklist goes through has its own mitigation text.
    assert not Criterion.objects.lacking_mitigation().exists()


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
