"""The sourced data behind every cell of a comparison.

A `Fact` is one platform × one criterion. Each fact other than `unknown` cites at least one
`Source` and carries the date someone checked it, so the site can always say where a claim
comes from and how old it is.
"""

import datetime
import decimal
import functools
import re
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from platforms.prefetch import Rows, attach_related

STALE_AFTER_DAYS = 365
# Evidence (the newest dated page a fact cites) older than this is marked as old evidence.
OLD_EVIDENCE_AFTER_DAYS = 730
# A citation's quote is the sentence that supports the claim, not the page: about 300
# characters, with room for a long sentence.
QUOTE_MAX_LENGTH = 400
# The change reason recorded for rows the seed command loads; the public change log leaves
# these out, so only what editors change shows up there.
SEED_CHANGE_REASON = "seed data loaded"
CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
# Derived columns (platforms/needs.py): never typed in, never part of the change history.
NEED_MASK_FIELDS = ["need_mask", "vendor_need_mask"]
# A criterion's bit in the need masks: 0 to 62, so every mask fits a signed 64-bit integer.
MAX_NEED_BIT = 62


def validate_not_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")


def validate_cve_list(value):
    bad = [cve for cve in split_cves(value) if not CVE_RE.match(cve)]
    if bad:
        raise ValidationError(
            _("Not CVE ids (expected CVE-YYYY-NNNN, comma separated): %(bad)s"),
            params={"bad": ", ".join(bad)},
            code="invalid_cve",
        )


def split_cves(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


http_url_validator = URLValidator(schemes=["http", "https"])


def stale_cutoff():
    return local_today() - datetime.timedelta(days=STALE_AFTER_DAYS)


def old_evidence_cutoff():
    return local_today() - datetime.timedelta(days=OLD_EVIDENCE_AFTER_DAYS)


def local_today():
    """timezone.localdate(), worked out at most once a minute: a page asks for every fact
    whether it is stale, and converting the time to the local zone each time was a twentieth
    of the comparison page. Every UTC offset is a whole number of minutes, so the local
    date only ever changes as a minute begins. The site's zone is TIME_ZONE: nothing
    activates another one for a request."""
    global _TODAY
    key = (int(time.time() // 60), settings.TIME_ZONE)
    if _TODAY[0] != key:
        _TODAY = (key, timezone.localdate())
    return _TODAY[1]


_TODAY = (None, None)


class QuickLoad(models.Model):
    """Rows the public pages read by the hundred: loaded without `Model.__init__`.

    Django builds each row read from the database with `cls(*values)` (the documented
    `from_db` hook), which sets the fields one `setattr` at a time and sends `pre_init` and
    `post_init`: a sixth of an uncached list page went there. With no receiver of those
    signals and every column loaded, the same instance is its columns written into
    `__dict__` at once: no field of these models has a setter but the foreign keys' ids,
    whose setter only drops a cached related object that a new instance does not have
    (tests/platforms/test_quick_load.py checks both). Anything else takes Django's path."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        attnames = _ATTNAMES.get(cls)
        if attnames is None:
            attnames = _ATTNAMES[cls] = tuple(f.attname for f in cls._meta.concrete_fields)
        if len(values) != len(attnames) or pre_init.receivers or post_init.receivers:
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new.__dict__.update(zip(attnames, values, strict=True))
        state = new._state = ModelState()
        state.adding, state.db = False, db
        return new

    def _get_FIELD_display(self, field):
        # What every get_<field>_display() calls: Django's builds the field's choices into
        # a dict on each call (a tenth of the platform page, which shows a label for each
        # source, path and incident). The same dict, built once per field.
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)


_ATTNAMES = {}
_CHOICE_LABELS = {}


class Versioned(QuickLoad):
    """A row an admin edits with a lost-update check (VersionedAdmin, platforms/admin.py).

    `version` is bumped by every admin save of the row (and, for a platform, of its plans,
    facts, paths and incidents): two admins who opened the same version cannot both save it.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def claim_version(cls, pk, expected):
        """Move the row from version `expected` to the next one; False when another save
        got there first. Run it inside the transaction that saves the edit: the UPDATE locks
        the row, so of many concurrent claims of one version exactly one succeeds."""
        claimed = cls.objects.filter(pk=pk, version=expected).update(
            version=models.F("version") + 1
        )
        return claimed == 1

    @classmethod
    def bump_versions(cls, pks):
        """Make forms opened before a change to these rows (or their children) stale."""
        cls.objects.filter(pk__in=pks).update(version=models.F("version") + 1)


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SourceManager(models.Manager):
    def get_by_natural_key(self, url):
        return self.get(url=url)


class Source(Versioned):
    class Kind(models.TextChoices):
        VENDOR = "vendor", _("The vendor's own statement or documentation")
        THIRD_PARTY = "third_party", _("Third party (press, reviewer, mirror)")
        OFFICIAL = "official", _("Official or regulatory body")
        INDEPENDENT_TEST = "test", _("Independent test")

    url = models.URLField(_("URL"), max_length=500, unique=True, validators=[http_url_validator])
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    published_on = models.DateField(
        _("page date"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("The date the page gives for itself; leave empty when it is undated."),
    )
    accessed_on = models.DateField(validators=[validate_not_future])
    kind = models.CharField(
        max_length=12,
        choices=Kind.choices,
        help_text=_("Who is speaking: only the vendor's own pages make a claim vendor-stated."),
    )

    objects = SourceManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["publisher", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["vendor", "third_party", "official", "test"]),
                name="source_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.publisher})"

    @property
    def third_party(self):
        return self.kind != self.Kind.VENDOR

    def natural_key(self):
        return (self.url,)


@functools.lru_cache(maxsize=8192)
def platform_url(slug):
    # The URLconf does not change while the process runs; the list writes thirty of these a
    # page, and reverse() was a thirtieth of it.
    return reverse("compare:platform-detail", kwargs={"slug": slug})


class PlatformQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def search(self, text):
        return self.filter(
            Q(name__icontains=text) | Q(vendor__icontains=text) | Q(summary__icontains=text)
        )

    def with_last_verified(self):
        # A subquery per platform rather than a join and GROUP BY over every fact of the
        # catalogue: the count of a sorted list then reads no facts at all.
        newest = (
            Fact.objects.filter(platform=models.OuterRef("pk"))
            .order_by("-verified_on")
            .values("verified_on")[:1]
        )
        return self.annotate(last_verified=models.Subquery(newest))


class Platform(Versioned):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    vendor = models.CharField(max_length=100)
    website = models.URLField(max_length=300, validators=[http_url_validator])
    summary = models.TextField(help_text=_("Two or three plain sentences for therapists."))
    published = models.BooleanField(default=True)
    reviewed_on = models.DateField(
        _("last full review"), null=True, blank=True, validators=[validate_not_future]
    )
    # The needs the platform meets read as one without plans (its platform-wide facts), as
    # bits (Criterion.need_bit): derived data that platforms/needs.py keeps up to date.
    need_mask = models.BigIntegerField(default=0, editable=False)
    vendor_need_mask = models.BigIntegerField(default=0, editable=False)

    objects = SlugNaturalKeyManager.from_queryset(PlatformQuerySet)()
    history = HistoricalRecords(excluded_fields=NEED_MASK_FIELDS)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return platform_url(self.slug)

    def natural_key(self):
        return (self.slug,)


class PlatformChildManager(models.Manager):
    """Children of a platform are found by the platform's slug and one field of their own."""

    key_field = "name"

    def get_by_natural_key(self, platform_slug, key):
        return self.get(platform__slug=platform_slug, **{self.key_field: key})


class EncryptionPathManager(PlatformChildManager):
    key_field = "connection"


class IncidentManager(PlatformChildManager):
    key_field = "title"


class PlanManager(PlatformChildManager):
    key_field = "slug"


class Plan(QuickLoad):
    """A plan a practice can buy (or use free). Facts may differ per plan (PlanState)."""

    class Period(models.TextChoices):
        PROVIDER_MONTH = "provider_month", _("per provider per month")
        USER_MONTH = "user_month", _("per user per month")
        MONTH = "month", _("per month")
        PROVIDER_YEAR = "provider_year", _("per provider per year")
        USER_YEAR = "user_year", _("per user per year")
        YEAR = "year", _("per year")

    # How many of a period make a month, to rank prices billed by the year with the others.
    MONTHS_IN = {
        Period.PROVIDER_MONTH: 1,
        Period.USER_MONTH: 1,
        Period.MONTH: 1,
        Period.PROVIDER_YEAR: 12,
        Period.USER_YEAR: 12,
        Period.YEAR: 12,
    }

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60)
    free = models.BooleanField(default=False)
    trial = models.BooleanField(
        _("free trial"),
        default=False,
        help_text=_(
            "A time-limited free trial, not a free plan: the free-plan question reads "
            "“partly” on it (as the criterion defines), and it has no price to rank."
        ),
    )
    price_amount = models.DecimalField(
        _("price"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Only a price a cited page states; leave empty when it is not known."),
    )
    price_currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("ISO code, e.g. USD, CAD, EUR.")
    )
    price_period = models.CharField(_("billed"), max_length=16, choices=Period.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(
        default=0, help_text=_("Plans are listed from the lowest number, cheapest first.")
    )
    sources = models.ManyToManyField(
        Source,
        through="Citation",
        through_fields=("plan", "source"),
        blank=True,
        related_name="plans",
    )

    # The needs the plan meets, as bits (Criterion.need_bit); see Platform.need_mask.
    need_mask = models.BigIntegerField(default=0, editable=False)
    vendor_need_mask = models.BigIntegerField(default=0, editable=False)

    objects = PlanManager()
    history = HistoricalRecords(excluded_fields=NEED_MASK_FIELDS)

    class Meta:
        ordering = ["platform", "order", "-free", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "name"], name="one_plan_name_per_platform"
            ),
            models.UniqueConstraint(
                fields=["platform", "slug"], name="one_plan_slug_per_platform"
            ),
            models.CheckConstraint(
                condition=(
                    Q(price_amount__isnull=True, price_currency="", price_period="")
                    | (
                        Q(price_amount__isnull=False, price_amount__gte=0)
                        & ~Q(price_currency="")
                        & ~Q(price_period="")
                    )
                ),
                name="plan_price_complete",
            ),
            models.CheckConstraint(
                condition=Q(free=False) | Q(price_amount__isnull=True) | Q(price_amount=0),
                name="plan_free_costs_nothing",
            ),
            models.CheckConstraint(
                condition=Q(trial=False) | Q(free=False, price_amount__isnull=True),
                name="plan_trial_is_not_a_free_or_priced_plan",
            ),
        ]

    def __str__(self):
        return f"{self.platform} · {self.name}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.slug)

    natural_key.dependencies = ["platforms.platform"]

    @property
    def monthly_price(self):
        """The price per month, for ranking; None when no page states one. A free plan costs
        nothing whatever its price fields say."""
        if self.free:
            return decimal.Decimal(0)
        if self.price_amount is None:
            return None
        return self.price_amount / self.MONTHS_IN[self.Period(self.price_period)]

    @property
    def price_display(self):
        if self.free:
            return _("Free")
        if self.trial:
            return _("Free for a trial period")
        if self.price_amount is None:
            return _("Price not known")
        amount = f"{self.price_amount:,.2f}".removesuffix(".00")
        return f"{self.price_currency} {amount} {self.get_price_period_display()}"

    def clean(self):
        super().clean()
        self.price_currency = self.price_currency.upper().strip()
        has = [self.price_amount is not None, bool(self.price_currency), bool(self.price_period)]
        if any(has) and not all(has):
            raise ValidationError(
                _("A price needs its amount, currency and period, or none of them."),
                code="price_incomplete",
            )
        if self.price_currency and not re.fullmatch(r"[A-Z]{3}", self.price_currency):
            raise ValidationError(
                {"price_currency": _("Use a three-letter currency code such as USD.")}
            )
        if self.free and self.price_amount:
            raise ValidationError({"price_amount": _("A free plan has no price.")})
        if self.trial and self.free:
            raise ValidationError(
                {"trial": _("A free trial is not a free plan: untick one of the two.")}
            )
        if self.trial and self.price_amount is not None:
            raise ValidationError(
                {"price_amount": _("A free trial has no price; give the paid plan's instead.")}
            )


class State(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    PARTIAL = "partial", _("Partly")
    ON_BY_DEFAULT = "on", _("Available, on by default")
    OFF_BY_DEFAULT = "off", _("Available, off by default")
    UNKNOWN = "unknown", _("Unknown")


# States that meet a therapist's need, given the state recommended for therapy: a control
# that should be used is met when it exists at all (on, or off but switchable on); a risk
# that should be avoided is met when it is absent or off until someone turns it on.
NEED_MET_BY = {
    State.YES: {State.YES, State.ON_BY_DEFAULT, State.OFF_BY_DEFAULT},
    State.ON_BY_DEFAULT: {State.YES, State.ON_BY_DEFAULT, State.OFF_BY_DEFAULT},
    State.OFF_BY_DEFAULT: {State.NO, State.OFF_BY_DEFAULT},
    State.NO: {State.NO},
}


class CriterionQuerySet(models.QuerySet):
    def filterable(self):
        return self.filter(filterable=True)

    def on_checklist(self):
        """The rows the session-safety checklist goes through (Criterion.on_checklist)."""
        return self.exclude(group=Criterion.Group.PRACTICE)

    def lacking_mitigation(self):
        """Rows on the checklist with no text for what to do when the platform falls short:
        the checklist would give only generic advice for them."""
        return self.on_checklist().filter(mitigation="")


class Criterion(Versioned):
    class Group(models.TextChoices):
        COMPLIANCE = "compliance", _("Compliance")
        ENCRYPTION = "encryption", _("Encryption")
        ACCESS_CONTROL = "access", _("Meeting access control")
        SAFE_DEFAULTS = "defaults", _("Safe defaults")
        CLIENT_ACCESS = "client", _("Client access")
        PRIVACY = "privacy", _("Privacy")
        PRACTICE = "practice", _("Practice features")

    # Display order of the groups on every page.
    GROUP_ORDER = [g.value for g in Group]

    slug = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100)
    group = models.CharField(max_length=12, choices=Group.choices)
    definition = models.TextField(help_text=_("What it is, in plain language."))
    why_it_matters = models.TextField(help_text=_("Why it matters in a therapy session."))
    mitigation = models.TextField(
        _("what to do without it"),
        blank=True,
        help_text=_(
            "For the session-safety checklist: what a therapist should do on a platform that "
            "lacks this control, or where this risk is on and cannot be switched off. Every "
            "row but practice features needs one (make check-data lists those without)."
        ),
    )
    habit = models.CharField(
        _("habit for every platform"),
        max_length=100,
        blank=True,
        help_text=_(
            "Optional: a habit the checklist asks of every therapist on every platform, "
            "citing the platform's fact for this row, e.g. “Never post a meeting link "
            "publicly”."
        ),
    )
    habit_why = models.TextField(
        _("why the habit matters"),
        blank=True,
        help_text=_("Shown under the habit; its first sentence is what the handout prints."),
    )
    recommended = models.CharField(
        _("recommended for therapy"),
        max_length=8,
        choices=[(s.value, s.label) for s in NEED_MET_BY],
    )
    need_label = models.CharField(
        max_length=100,
        help_text=_('How a therapist asks for it in the filter, e.g. "BAA offered".'),
    )
    order = models.PositiveSmallIntegerField(default=0)
    filterable = models.BooleanField(_("offered as a filter"), default=False)
    follows_free_plans = models.BooleanField(
        _("answered by each plan's price"),
        default=False,
        help_text=_(
            "For the free-plan question: on each recorded plan the state is “yes” when the "
            "plan is free and “no” when it is not; the platform-wide fact says whether a free "
            "plan exists at all."
        ),
    )
    # Which bit of the need masks is this criterion's: given once, when it is first saved
    # (platforms/needs.py), and never changed.
    need_bit = models.PositiveSmallIntegerField(unique=True, null=True, editable=False)

    objects = SlugNaturalKeyManager.from_queryset(CriterionQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "label"]
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended__in=[s.value for s in NEED_MET_BY]),
                name="criterion_recommended_is_a_need",
            ),
            models.CheckConstraint(
                condition=Q(habit="", habit_why="") | (~Q(habit="") & ~Q(habit_why="")),
                name="criterion_habit_has_its_reason",
                violation_error_message=_("A habit needs both its words and why it matters."),
            ),
            models.CheckConstraint(
                condition=Q(need_bit__lte=MAX_NEED_BIT), name="criterion_need_bit_fits"
            ),
        ]

    def __str__(self):
        return self.label

    def natural_key(self):
        return (self.slug,)

    @property
    def need_met_by(self):
        """The fact states that satisfy a therapist who requires this criterion."""
        return sorted(NEED_MET_BY[State(self.recommended)])

    def is_met_by(self, state):
        """The one rule for "this state meets a therapist's need for this criterion"."""
        return state in NEED_MET_BY[State(self.recommended)]

    def advice_for(self, state):
        """How a state reads against the recommendation when no need was chosen: a control
        that exists but is off, where the site recommends it on, is one to switch on."""
        if state == State.UNKNOWN:
            return "unknown"
        if self.recommended == State.ON_BY_DEFAULT and state == State.OFF_BY_DEFAULT:
            return "switch-on"
        if self.recommended == State.OFF_BY_DEFAULT and state == State.ON_BY_DEFAULT:
            return "switch-off"
        return "as-recommended" if self.is_met_by(state) else "not-recommended"

    @property
    def group_order(self):
        return self.GROUP_ORDER.index(self.group)

    @property
    def on_checklist(self):
        """Practice features (free plan, billing, check-in) are worth comparing but are not
        part of keeping a session safe, so the checklist leaves them out."""
        return self.group != self.Group.PRACTICE


class SourcedQuerySet(models.QuerySet):
    def stale(self):
        return self.filter(verified_on__lt=stale_cutoff())

    def fresh(self):
        return self.filter(verified_on__gte=stale_cutoff())


class FactManager(models.Manager):
    def get_by_natural_key(self, platform_slug, criterion_slug):
        return self.get(platform__slug=platform_slug, criterion__slug=criterion_slug)


class FactQuerySet(SourcedQuerySet):
    @staticmethod
    def has_quoted_citation():
        """The condition "a citation of the fact quotes its page" (an empty quote proves
        nothing), for filter() and exclude() of this queryset directly: PostgreSQL plans it
        as a semi-join, where `pk__in` a subquery of it could take it row by row."""
        return models.Exists(Citation.objects.quoted().filter(fact=models.OuterRef("pk")))

    def unsourced(self):
        """Facts with no citation that quotes its page."""
        return self.exclude(self.has_quoted_citation())

    def sourced(self):
        return self.filter(self.has_quoted_citation())

    def unsourced_claims(self):
        """The one definition of "a claim without a quoted source": a known state that no
        citation with a quote supports."""
        return self.known().unsourced()

    def known(self):
        return self.exclude(state=State.UNKNOWN)

    def with_evidence(self):
        """What a page needs to show facts with their evidence and plans, in a constant number
        of queries: the criterion, the per-plan states and the citations with their sources."""
        return self.select_related("criterion").prefetch_related(
            "plan_states",
            models.Prefetch(
                "citations",
                queryset=Citation.objects.select_related("source").order_by(
                    "source__publisher", "source__title", "pk"
                ),
            ),
        )

    def with_evidence_from(self):
        """Annotate `evidence_from`: the date of the newest dated page the fact cites."""
        return self.annotate(evidence_from=models.Max("citations__source__published_on"))

    def old_evidence(self):
        """Known facts whose newest dated page is over two years old (undated pages are not
        old, they are undated)."""
        return self.known().with_evidence_from().filter(evidence_from__lt=old_evidence_cutoff())

    def contested_or_third_party(self):
        return self.known().filter(
            Q(contested=True)
            | ~models.Exists(
                Citation.objects.filter(
                    fact=models.OuterRef("pk"), source__kind=Source.Kind.VENDOR
                )
            )
        )

    def published(self):
        return self.filter(platform__published=True)


class Sourced(QuickLoad):
    """What every checked claim carries: its sources, when it was verified, and doubts."""

    note = models.TextField(blank=True)
    verified_on = models.DateField(validators=[validate_not_future])
    contested = models.BooleanField(default=False)
    contested_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_stale(self):
        return self.verified_on < stale_cutoff()

    def clean(self):
        super().clean()
        if self.contested and not self.contested_reason.strip():
            raise ValidationError(
                {"contested_reason": _("Say why the claim is contested.")}, code="no_reason"
            )


class Fact(Sourced):
    State = State

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="facts")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="facts")
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNKNOWN)
    plan_scope = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            "A word on how plans differ, for readers. The per-plan states below are what "
            "the filters use."
        ),
    )
    detail = models.CharField(
        max_length=100,
        blank=True,
        help_text=_('A figure or list the state needs, e.g. "up to 100 people", "US, EU".'),
    )
    sources = models.ManyToManyField(
        Source,
        through="Citation",
        through_fields=("fact", "source"),
        blank=True,
        related_name="facts",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Who last confirmed the fact against its sources."),
    )

    objects = FactManager.from_queryset(FactQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["platform", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "criterion"], name="one_fact_per_cell"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="fact_state_valid"),
            models.CheckConstraint(
                condition=Q(contested=False) | ~Q(contested_reason=""),
                name="fact_contested_has_reason",
            ),
        ]
        # "Which platforms meet this need": the list filter and its facet counts read only
        # this index (compare/filters.py).
        indexes = [
            models.Index(fields=["criterion", "state", "platform"], name="fact_need_lookup"),
        ]

    def __str__(self):
        return f"{self.platform} · {self.criterion}"

    def natural_key(self):
        return (*self.platform.natural_key(), *self.criterion.natural_key())

    natural_key.dependencies = ["platforms.platform", "platforms.criterion"]

    @property
    def meets_need(self):
        return self.criterion.is_met_by(self.state)

    # Evidence, read from prefetched citations (Fact.objects.with_evidence() in views).

    @property
    def strength(self):
        """How strong the evidence is: None for unknown; "contested"; "vendor" when a
        citation is the vendor's own; else "third_party" (nobody but others say so)."""
        kinds = [c.source.kind for c in loaded(self, "citations")]
        return evidence_strength(self.state, self.contested, kinds)

    @property
    def evidence_from(self):
        """The date of the newest dated page the fact cites, or None (undated)."""
        dates = [c.source.published_on for c in loaded(self, "citations")]
        return max(filter(None, dates), default=None)

    @property
    def has_old_evidence(self):
        return (
            self.state != State.UNKNOWN
            and self.evidence_from is not None
            and self.evidence_from < old_evidence_cutoff()
        )


def loaded(instance, relation):
    """`instance.<relation>.all()` (a reverse foreign key or many-to-many), read straight
    from the prefetched rows when they were loaded: the related manager Django builds on
    each access cost more than reading a fact's two citations, several times a fact."""
    try:
        return instance._prefetched_objects_cache[relation]
    except (AttributeError, KeyError):
        return getattr(instance, relation).all()


def attach_evidence(facts):
    """Load what a page shows of facts with their evidence (their criteria, per-plan
    states, citations with their sources) for facts already loaded, one query per relation,
    each compiled once (platforms/prefetch.py says why). Returns the facts."""
    attach_criteria(facts)
    attach_related(facts, "plan_states", PLAN_STATES)
    attach_related(facts, "citations", CITATIONS)
    return facts


# In no order: each fact's states are read by plan (platforms.needs.PlanMatrix).
PLAN_STATES = Rows(lambda: PlanState.objects.order_by())
CITATIONS = Rows(lambda: Citation.objects.select_related("source"))
CRITERIA = Rows(lambda: Criterion.objects.all())


def all_criteria():
    """Every criterion, in order (one kept query: platforms.prefetch.Rows)."""
    return CRITERIA.every()


def attach_criteria(facts):
    """Give each fact its criterion from one read of the criteria (a few dozen rows), not a
    join that repeats a criterion's long texts on the row of every fact that names it.
    Returns the facts."""
    by_id = {criterion.pk: criterion for criterion in all_criteria()}
    field = Fact._meta.get_field("criterion")
    for fact in facts:
        field.set_cached_value(fact, by_id[fact.criterion_id])
    return facts


def evidence_strength(state, contested, quoted_kinds):
    """The one rule for a fact's evidence strength (see Fact.strength), from its state, its
    contested flag and the kinds of the sources it cites. (Whether each citation carries its
    quote is a separate rule: FactQuerySet.unsourced_claims.)"""
    if state == State.UNKNOWN:
        return None
    if contested:
        return "contested"
    if Source.Kind.VENDOR in quoted_kinds:
        return "vendor"
    return "third_party"


def state_on_plan(state, follows_free_plans, plan_free, override, plan_trial=False):
    """The one rule for a fact's state on a plan: the plan's own state where one is recorded
    (`override`, else None), the platform-wide `state` otherwise; a criterion that follows
    free plans is "yes" exactly on the free plans, "partly" on a free trial (as the free-plan
    criterion defines "partly") and "no" on the others."""
    if follows_free_plans:
        if plan_free:
            return State.YES
        return State.PARTIAL if plan_trial else State.NO
    return override if override is not None else state


class PlanStateManager(models.Manager):
    def get_by_natural_key(self, platform_slug, criterion_slug, plan_slug):
        return self.get(
            fact__platform__slug=platform_slug,
            fact__criterion__slug=criterion_slug,
            plan__slug=plan_slug,
            plan__platform__slug=platform_slug,
        )


class PlanState(QuickLoad):
    """A fact's state on one plan, where it differs from the fact's platform-wide state."""

    State = State

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="plan_states")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="fact_states")
    state = models.CharField(max_length=8, choices=State.choices)
    detail = models.CharField(max_length=100, blank=True)

    objects = PlanStateManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["fact", "plan__order", "plan__name"]
        verbose_name = _("state on a plan")
        constraints = [
            models.UniqueConstraint(fields=["fact", "plan"], name="one_state_per_fact_and_plan"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="plan_state_valid"),
        ]

    def __str__(self):
        return f"{self.fact} · {self.plan.name}"

    def natural_key(self):
        return (*self.fact.natural_key(), self.plan.slug)

    natural_key.dependencies = ["platforms.fact", "platforms.plan"]

    def clean(self):
        super().clean()
        if self.fact_id and self.plan_id and self.fact.platform_id != self.plan.platform_id:
            raise ValidationError(
                {"plan": _("Choose a plan of %(platform)s.") % {"platform": self.fact.platform}}
            )


class CitationQuerySet(models.QuerySet):
    def quoted(self):
        return self.exclude(quote="")


class CitationManager(models.Manager):
    def get_by_natural_key(self, platform_slug, owner, key, url):
        lookup = {"fact": "fact__criterion__slug", "plan": "plan__slug"}[owner]
        return self.get(
            **{f"{owner}__platform__slug": platform_slug, lookup: key, "source__url": url}
        )


class Citation(QuickLoad):
    """Why a source supports a claim: the sentence on that page and when it was seen there.

    A citation belongs to one fact or one plan (its price)."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    fact = models.ForeignKey(
        Fact, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    quote = models.TextField(
        max_length=QUOTE_MAX_LENGTH,
        blank=True,
        help_text=_(
            "The sentence on the page that supports the claim, copied word for word "
            "(at most about 300 characters)."
        ),
    )
    seen_on = models.DateField(
        _("seen on"),
        validators=[validate_not_future],
        help_text=_("When the quote was read on the page."),
    )

    objects = CitationManager.from_queryset(CitationQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["source__publisher", "source__title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fact__isnull=False, plan__isnull=True)
                | Q(fact__isnull=True, plan__isnull=False),
                name="citation_has_one_owner",
            ),
            models.UniqueConstraint(
                fields=["fact", "source"], name="one_citation_per_fact_source"
            ),
            models.UniqueConstraint(
                fields=["plan", "source"], name="one_citation_per_plan_source"
            ),
        ]

    def __str__(self):
        return f"{self.owner} · {self.source}"

    @property
    def owner(self):
        return self.fact if self.fact_id else self.plan

    def natural_key(self):
        if self.fact_id:
            return (self.fact.platform.slug, "fact", self.fact.criterion.slug, self.source.url)
        return (self.plan.platform.slug, "plan", self.plan.slug, self.source.url)

    natural_key.dependencies = ["platforms.fact", "platforms.plan", "platforms.source"]

    def clean(self):
        super().clean()
        self.quote = " ".join(self.quote.split())
        if not self.quote:
            raise ValidationError(
                {"quote": _("Copy the sentence from the page that supports the claim.")},
                code="no_quote",
            )


class EncryptionPath(Sourced):
    class Connection(models.TextChoices):
        APP = "app", _("App to app")
        BROWSER = "browser", _("Browser (WebRTC)")
        ROOM_SYSTEM = "room", _("Room system (SIP/H.323)")
        DIAL_IN = "dial_in", _("Dial-in (phone)")
        RECORDING = "recording", _("Cloud recording")
        E2EE = "e2ee", _("End-to-end mode")

    class DecryptedAt(models.TextChoices):
        ENDPOINTS = "endpoints", _("Only on the participants' devices")
        MEDIA_SERVER = "media_server", _("Vendor media server")
        CONNECTOR = "connector", _("Vendor connector (room-system gateway)")
        GATEWAY = "gateway", _("Telephony gateway")
        RECORDING_SERVER = "recording_server", _("Recording server")
        UNKNOWN = "unknown", _("Unknown")

    class KeyHolder(models.TextChoices):
        VENDOR = "vendor", _("The vendor's servers")
        HOST = "host", _("The meeting host's device")
        PARTICIPANTS = "participants", _("The participants' devices")
        UNKNOWN = "unknown", _("Unknown")

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="encryption_paths"
    )
    connection = models.CharField(max_length=12, choices=Connection.choices)
    transport = models.CharField(
        _("transport protection"), max_length=200, help_text=_("e.g. TLS 1.2, AES-256-GCM")
    )
    decrypted_at = models.CharField(
        max_length=20, choices=DecryptedAt.choices, default=DecryptedAt.UNKNOWN
    )
    key_holder = models.CharField(max_length=12, choices=KeyHolder.choices, default="unknown")
    sources = models.ManyToManyField(Source, blank=True, related_name="encryption_paths")

    objects = EncryptionPathManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "connection"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "connection"], name="one_path_per_connection"
            ),
            models.CheckConstraint(
                condition=Q(contested=False) | ~Q(contested_reason=""),
                name="path_contested_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.platform} · {self.get_connection_display()}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.connection)

    natural_key.dependencies = ["platforms.platform"]


class Incident(QuickLoad):
    class Kind(models.TextChoices):
        SECURITY = "security", _("Security")
        PRIVACY = "privacy", _("Privacy")

    class Status(models.TextChoices):
        FIXED = "fixed", _("Fixed")
        MITIGATED = "mitigated", _("Mitigated")
        OPEN = "open", _("Open")
        UNKNOWN = "unknown", _("Unknown")

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    cves = models.CharField(
        _("CVE ids"),
        max_length=300,
        blank=True,
        validators=[validate_cve_list],
        help_text=_("Comma separated, e.g. CVE-2020-11469, CVE-2020-11470"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    affected = models.CharField(_("affected clients"), max_length=200, blank=True)
    disclosed_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    fixed_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    fixed_in = models.CharField(_("fixed in version"), max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    mitigation = models.TextField(_("what a practitioner should do"), blank=True)
    sources = models.ManyToManyField(Source, blank=True, related_name="incidents")

    objects = IncidentManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "-disclosed_on", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "title"], name="one_incident_title_per_platform"
            ),
            models.CheckConstraint(
                condition=Q(fixed_on__isnull=True)
                | Q(disclosed_on__isnull=True)
                | Q(fixed_on__gte=models.F("disclosed_on")),
                name="incident_fixed_after_disclosed",
            ),
        ]

    def __str__(self):
        return f"{self.platform} · {self.title}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.title)

    natural_key.dependencies = ["platforms.platform"]

    @property
    def cve_list(self):
        return split_cves(self.cves)

    def clean(self):
        super().clean()
        if self.fixed_on and self.disclosed_on and self.fixed_on < self.disclosed_on:
            raise ValidationError(
                {"fixed_on": _("An incident cannot be fixed before it was disclosed.")}
            )
