"""The catalogue's floor (issue 12): what a clean checkout publishes, and how well it is sourced.

`test_check_data_passes_on_the_seed` and the 35% floor depend on the quotes of
fixtures/platforms.json as well as on fixtures/platforms-2026.json; the checks on the 2026 file
alone hold by themselves.
"""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from compare.checklist import SectionKind, fact_action, section_for
from platforms.integrity import data_problems, evidence_counts, published_known_share
from platforms.models import (
    QUOTE_MAX_LENGTH,
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

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "platforms-2026.json"
NEW_CRITERIA = {
    "ai-assistant": State.OFF_BY_DEFAULT,
    "live-captions": State.YES,
    "group-sessions": State.YES,
    "phone-audio-only": State.YES,
    "recording-notice": State.ON_BY_DEFAULT,
    "data-residency": State.YES,
}
NEW_PLATFORMS = {
    "sessionshealth",
    "spruce-health",
    "jane",
    "therapynotes",
    "thera-link",
    "therapyappointment",
    "owl-practice",
    "ensora-theranest",
}


def rows(model):
    return [o["fields"] for o in json.loads(FIXTURE.read_text()) if o["model"] == model]


def test_at_least_13_platforms_are_published(seeded):
    assert Platform.objects.published().count() >= 13
    assert NEW_PLATFORMS <= set(Platform.objects.published().values_list("slug", flat=True))


def test_at_least_35_percent_of_published_cells_are_known(seeded):
    known, cells = published_known_share()
    assert cells == Platform.objects.published().count() * Criterion.objects.count()
    assert known / cells >= 0.35, f"{known} of {cells} published cells known"


def test_check_data_passes_on_the_seed(seeded):
    err = io.StringIO()
    try:
        call_command("check_data", stdout=io.StringIO(), stderr=err)
    except CommandError as error:
        pytest.fail(f"{error}\n{err.getvalue()[:2000]}")


def test_the_new_criteria_say_what_is_recommended(seeded):
    criteria = {c.slug: c for c in Criterion.objects.filter(slug__in=NEW_CRITERIA)}
    assert {slug: c.recommended for slug, c in criteria.items()} == NEW_CRITERIA
    for criterion in criteria.values():
        assert criterion.definition and criterion.why_it_matters and criterion.need_label
    # An AI note-taker that runs by default is what a therapist filters out.
    assert not criteria["ai-assistant"].is_met_by(State.ON_BY_DEFAULT)
    assert criteria["ai-assistant"].is_met_by(State.NO)

    for platform in Platform.objects.all():
        slugs = set(platform.facts.values_list("criterion__slug", flat=True))
        assert set(NEW_CRITERIA) <= slugs, platform


def test_the_2026_file_has_no_problem_of_its_own(seeded):
    """None of data_problems() names a platform or criterion that this file adds, and
    check_data's counts add up for them."""
    names = set(Platform.objects.filter(slug__in=NEW_PLATFORMS).values_list("name", flat=True))
    names |= set(Criterion.objects.filter(slug__in=NEW_CRITERIA).values_list("label", flat=True))
    own = [p for p in data_problems() if any(name in p for name in names)]
    assert own == []

    counts = {row.platform.slug: row for row in evidence_counts()}
    spruce = counts["spruce-health"]
    assert spruce.cells == Criterion.objects.count()
    assert spruce.known == Fact.objects.filter(platform__slug="spruce-health").known().count()
    # Spruce's facts are vendor-stated except the free trial, which only a third-party
    # transcription of its pricing page states.
    assert spruce.third_party_only == 1
    assert counts["therapynotes"].contested == 2


def test_every_citation_in_the_2026_file_quotes_its_page():
    citations = rows("platforms.citation")
    assert citations
    for c in citations:
        assert c["quote"].strip(), c
        assert len(c["quote"]) <= QUOTE_MAX_LENGTH, c
        assert c["seen_on"] <= "2026-12-02", c
    assert all(s["kind"] in Source.Kind.values for s in rows("platforms.source"))


def test_every_known_fact_in_the_2026_file_is_quoted_and_every_unknown_says_why():
    quoted = {tuple(c["fact"]) for c in rows("platforms.citation") if c["fact"]}
    for fact in rows("platforms.fact"):
        key = (fact["platform"][0], fact["criterion"][0])
        if fact["state"] == State.UNKNOWN:
            assert fact["note"].strip(), key
        else:
            assert key in quoted, key
        if fact["contested"]:
            assert fact["contested_reason"].strip(), key


def test_prices_and_plan_states_are_sourced(seeded):
    priced = Plan.objects.filter(price_amount__isnull=False, platform__slug__in=NEW_PLATFORMS)
    assert priced.exists()
    for plan in priced:
        quotes = [c.quote for c in plan.citations.all()]
        assert any(f"${plan.price_amount:.0f}" in q for q in quotes), plan
    spruce = {p.slug: p.price_display for p in Plan.objects.filter(platform__slug="spruce-health")}
    assert spruce["basic"] == "USD 24 per user per month"
    assert spruce["trial"] == "Free for a trial period"  # a trial, not a free plan

    residency = Fact.objects.get(platform__slug="zoom", criterion__slug="data-residency")
    assert residency.contested and residency.contested_reason
    assert PlanState.objects.get(fact=residency, plan__slug="free").state == State.NO
    cap = Fact.objects.get(platform__slug="sessionshealth", criterion__slug="group-sessions")
    assert "4 people" in cap.detail


@pytest.mark.slow  # the seed command again, over the seed data: seconds
def test_seeding_twice_gives_the_same_catalogue_and_an_empty_quote_is_a_problem(seeded):
    def snapshot():
        return [
            list(model.objects.order_by("pk").values())
            for model in (Platform, Plan, Fact, PlanState, Citation, Source)
        ]

    before = snapshot()
    call_command("seed", "--force", verbosity=0)
    assert snapshot() == before

    citation = Citation.objects.filter(fact__platform__slug="jane").first()
    Citation.objects.filter(pk=citation.pk).update(quote="")
    assert any(citation.source.url in p and "no quote" in p for p in data_problems())


def test_end_to_end_mode_says_it_drops_phone_callers_and_the_new_platforms_have_paths(seeded):
    """Every platform with an end-to-end mode says, on that row, what turning it on takes
    away (at least phone dial-in, which all of them lose); Meet, Teams and Jitsi also have
    their dial-in row, and the 2026 platforms have the paths their pages describe."""
    e2ee = EncryptionPath.objects.filter(connection="e2ee").select_related("platform")
    assert {"zoom", "webex", "google-meet", "microsoft-teams", "jitsi-meet"} <= {
        path.platform.slug for path in e2ee
    }
    for path in e2ee:
        assert "phone" in path.note.lower(), path
    for slug in ("google-meet", "microsoft-teams", "jitsi-meet"):
        dial_in = EncryptionPath.objects.get(platform__slug=slug, connection="dial_in")
        assert "end-to-end" in dial_in.note or "client-side" in dial_in.note, dial_in
    new_paths = EncryptionPath.objects.filter(platform__slug__in=NEW_PLATFORMS)
    assert {"jane", "therapynotes"} <= set(new_paths.values_list("platform__slug", flat=True))
    for path in EncryptionPath.objects.all():
        assert path.sources.exists(), path
        assert not path.contested or path.contested_reason, path


def test_no_incident_is_a_placeholder(seeded):
    for incident in Incident.objects.all():
        assert "not found" not in incident.title.lower(), incident
        assert incident.sources.exists(), incident
    token = Incident.objects.get(platform__slug="webex", cves="CVE-2020-3361")
    assert token.status == Incident.Status.FIXED
    assert token.sources.filter(url__contains="cvelistV5").exists()


def test_an_ai_note_taker_on_by_default_tells_the_therapist_what_to_do(seeded):
    criterion = Criterion.objects.get(slug="ai-assistant")  # its mitigation is seed data
    assert criterion.recommended == State.OFF_BY_DEFAULT
    fact = Fact(criterion=criterion, state=State.ON_BY_DEFAULT)
    assert section_for(fact, criterion) == SectionKind.MISSING
    action = fact_action(SectionKind.MISSING, fact, criterion, "Example")
    assert "turn it off" in action and "BAA covers" in action and "consent" in action
