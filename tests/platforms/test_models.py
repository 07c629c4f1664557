import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from platforms.forms import FactForm
from platforms.models import (
    Criterion,
    Fact,
    Incident,
    Plan,
    Platform,
    Source,
    State,
    state_on_plan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def criterion():
    return baker.make(Criterion, slug="waiting-room", recommended="on", label="Waiting room")


@pytest.fixture
def source():
    return baker.make(
        Source, url="https://example.org/page", accessed_on=datetime.date(2026, 1, 1)
    )


def fact_form_data(platform, criterion, **overrides):
    return {
        "platform": platform.pk,
        "criterion": criterion.pk,
        "state": State.ON_BY_DEFAULT,
        "verified_on": "2026-01-02",
        "sources": [],
        **overrides,
    }


def test_duplicate_cell_is_rejected_by_the_database(criterion):
    fact = baker.make(Fact, criterion=criterion, verified_on=datetime.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Fact.objects.create(
            platform=fact.platform, criterion=criterion, verified_on=datetime.date(2026, 1, 1)
        )


def test_contested_fact_without_reason_is_rejected_by_the_database(criterion):
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(Fact, criterion=criterion, contested=True, contested_reason="")


def test_state_outside_the_vocabulary_is_rejected_by_the_database(criterion):
    with pytest.raises(IntegrityError), transaction.atomic():
        baker.make(Fact, criterion=criterion, state="maybe")


def test_sourceless_fact_is_invalid_unless_unknown(criterion, source):
    platform = baker.make("platforms.Platform")
    form = FactForm(data=fact_form_data(platform, criterion))
    assert not form.is_valid()
    assert "needs at least one citation with the quoted sentence" in str(form.errors["state"])

    assert FactForm(data=fact_form_data(platform, criterion, state="unknown")).is_valid()


def test_verified_on_cannot_be_in_the_future(criterion, source):
    platform = baker.make("platforms.Platform")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = FactForm(
        data=fact_form_data(platform, criterion, sources=[source.pk], verified_on=tomorrow)
    )
    assert not form.is_valid()
    assert "future" in form.errors["verified_on"][0]


def test_source_url_must_be_http(source):
    source.url = "javascript:alert(1)"
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert "url" in error.value.message_dict


def test_incident_cves_are_validated_and_split():
    incident = baker.prepare(Incident, cves="CVE-2020-11469, CVE-2020-11470")
    assert incident.cve_list == ["CVE-2020-11469", "CVE-2020-11470"]
    incident.cves = "CVE-2020-11469, not-a-cve"
    with pytest.raises(ValidationError) as error:
        incident.clean_fields(exclude=["platform"])
    assert "not-a-cve" in str(error.value)


@pytest.mark.parametrize(
    ("recommended", "state", "met"),
    [
        ("on", "off", True),  # a waiting room that must be switched on still exists
        ("on", "no", False),
        ("on", "unknown", False),
        ("off", "on", False),  # participant annotation on by default is a risk
        ("off", "off", True),
        ("off", "no", True),
        ("no", "yes", False),
        ("yes", "partial", False),
    ],
)
def test_need_met_by_depends_on_the_recommended_state(recommended, state, met):
    fact = baker.prepare(Fact, criterion=baker.prepare(Criterion, recommended=recommended))
    fact.state = state
    assert fact.meets_need is met


def test_stale_after_twelve_months(criterion):
    today = timezone.localdate()
    old = baker.make(Fact, criterion=criterion, verified_on=today - datetime.timedelta(days=400))
    new = baker.make(Fact, criterion=criterion, verified_on=today - datetime.timedelta(days=10))
    assert old.is_stale and not new.is_stale
    assert list(Fact.objects.stale()) == [old]


def test_a_free_trial_reads_partly_on_the_free_plan_question_only():
    assert state_on_plan(State.PARTIAL, True, False, None, plan_trial=True) == State.PARTIAL
    assert state_on_plan(State.PARTIAL, True, True, None) == State.YES
    assert state_on_plan(State.PARTIAL, True, False, None) == State.NO
    # Any other criterion: the trial's own state or the platform-wide one, as for any plan.
    assert state_on_plan(State.YES, False, False, None, plan_trial=True) == State.YES
    assert state_on_plan(State.YES, False, False, State.NO, plan_trial=True) == State.NO


def test_a_free_trial_is_neither_a_free_plan_nor_priced():
    platform = baker.make(Platform)
    both = Plan(platform=platform, name="Trial", slug="trial", free=True, trial=True)
    with pytest.raises(ValidationError) as refused:
        both.full_clean()
    assert "trial" in refused.value.message_dict
    priced = Plan(
        platform=platform,
        name="Trial",
        slug="trial",
        trial=True,
        price_amount=10,
        price_currency="USD",
        price_period="month",
    )
    with pytest.raises(ValidationError) as refused:
        priced.full_clean()
    assert "price_amount" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(platform=platform, name="T", slug="t", free=True, trial=True)
    trial = Plan(platform=platform, name="Trial", slug="trial", trial=True)
    trial.full_clean()
    assert trial.monthly_price is None  # nothing to rank
    assert str(trial.price_display) == "Free for a trial period"
