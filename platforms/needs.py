"""Which plans meet a therapist's needs: the one definition of "a plan meets a need".

A fact has a platform-wide state and may differ on named plans (PlanState). A plan meets a
need when its resolved state for that criterion is one the criterion's recommendation accepts
(Criterion.is_met_by / need_met_by). A platform meets a set of needs when at least one of its
plans meets them all; a platform with no recorded plans is one plan, its platform-wide facts.
With `vendor_only`, only facts the vendor itself states (evidence strength "vendor") count.

The same rule is written twice, side by side: in Python for the cards, pages and exports,
which read prefetched rows, and as SQL (`NeedMask`) that gives each plan, and each platform
read as one without plans, one integer whose bit `Criterion.need_bit` is set when it meets
that need. Those masks are stored (Plan/Platform `need_mask` and `vendor_need_mask`):
`recompute_need_masks` writes them in the transaction of every save or delete that can change
them (platforms/signals.py), so the list's filter, sorts and facet counts read one column
instead of every plan's facts. tests/compare/test_plan_needs.py checks that the Python rule
and the stored masks agree for many random need sets; `make check-data` recomputes the masks
and reports any that differ from the stored ones.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from .models import (
    MAX_NEED_BIT,
    NEED_MET_BY,
    Criterion,
    Plan,
    Platform,
    Source,
    State,
    loaded,
    state_on_plan,
)

VENDOR = Source.Kind.VENDOR

# ---- Python: from prefetched rows ---------------------------------------------------------


def resolved_state(fact, plan, overrides):
    """The state of `fact` on `plan` (None: a platform without plans), given the fact's
    {plan_id: PlanState}."""
    if plan is None:
        return fact.state
    override = overrides.get(plan.pk)
    return state_on_plan(
        fact.state,
        fact.criterion.follows_free_plans,
        plan.free,
        override and override.state,
        plan_trial=plan.trial,
    )


def fact_counts(fact, vendor_only):
    """Whether the fact's evidence is allowed to count toward a need."""
    return not vendor_only or fact.strength == "vendor"


@dataclass
class PlanResult:
    plan: Plan | None  # None: the platform, which records no plans
    met: list = field(default_factory=list)  # criteria met
    missed: list = field(default_factory=list)  # (criterion, state it has there)

    @property
    def meets_all(self):
        return not self.missed


class PlanMatrix:
    """Each plan's resolved state for each criterion of one platform.

    Needs the platform's `plans` and `facts` prefetched, facts with `criterion`,
    `plan_states` and (for vendor_only and strength) `citations__source`."""

    def __init__(self, platform, facts=None):
        self.platform = platform
        self.plans = list(loaded(platform, "plans"))
        facts = loaded(platform, "facts") if facts is None else facts
        self.facts = {fact.criterion_id: fact for fact in facts}
        self.overrides = {
            fact.criterion_id: {ps.plan_id: ps for ps in loaded(fact, "plan_states")}
            for fact in self.facts.values()
        }

    @property
    def units(self):
        return self.plans or [None]

    def state(self, criterion, plan):
        fact = self.facts.get(criterion.pk)
        if fact is None:
            return State.UNKNOWN
        return resolved_state(fact, plan, self.overrides[criterion.pk])

    def by_plan(self, fact):
        """{plan: state} for every recorded plan (empty for a platform without plans)."""
        return {
            plan: resolved_state(fact, plan, self.overrides.get(fact.criterion_id, {}))
            for plan in self.plans
        }

    def meets(self, criterion, plan, vendor_only=False):
        fact = self.facts.get(criterion.pk)
        return (
            fact is not None
            and criterion.is_met_by(self.state(criterion, plan))
            and fact_counts(fact, vendor_only)
        )

    def results(self, needs, vendor_only=False):
        """Every plan with what it meets and misses, best first (fewest misses, then the
        plan order, cheapest first)."""
        results = []
        for plan in self.units:
            result = PlanResult(plan)
            for need in needs:
                if self.meets(need, plan, vendor_only):
                    result.met.append(need)
                else:
                    result.missed.append((need, self.state(need, plan)))
            results.append(result)
        results.sort(key=lambda r: len(r.missed))  # stable: plan order kept within a tie
        return results

    def needs_met(self, needs, vendor_only=False):
        """The most needs one plan meets."""
        return max((len(r.met) for r in self.results(needs, vendor_only)), default=0)

    def cheapest_meeting(self, needs, vendor_only=False):
        """The cheapest plan that meets every need, from stated prices only; None when no
        plan meeting them has a known price (or the platform records no plans)."""
        priced = [
            r.plan
            for r in self.results(needs, vendor_only)
            if r.meets_all and r.plan is not None and r.plan.monthly_price is not None
        ]
        return min(priced, key=lambda plan: plan.monthly_price, default=None)


# ---- SQL: the same rule, computed once per edit and stored ---------------------------------


@dataclass(frozen=True)
class CriterionRule:
    """What decides a criterion's bit of a mask: its bit, the states that meet its need and
    whether plans answer it by price. Built from values() rows, so that a migration can run
    the same SQL with its historical models."""

    pk: int
    need_bit: int
    need_met_by: tuple
    follows_free_plans: bool

    @classmethod
    def all(cls, criterion_model, using):
        rows = criterion_model.objects.using(using).order_by("pk")
        return [
            cls(pk, bit, tuple(sorted(NEED_MET_BY[State(recommended)])), follows)
            for pk, bit, recommended, follows in rows.values_list(
                "pk", "need_bit", "recommended", "follows_free_plans"
            )
        ]

    def is_met_by(self, state):
        return state in self.need_met_by


def need_bits(criteria):
    """The bits of a set of criteria (Criterion.need_bit)."""
    return sum(1 << bit for bit in {c.need_bit for c in criteria})


def next_need_bit(criterion_model, using, exclude_pk=None):
    """The lowest bit no other criterion holds."""
    taken = set(
        criterion_model.objects.using(using)
        .exclude(pk=exclude_pk)
        .exclude(need_bit=None)
        .values_list("need_bit", flat=True)
    )
    free = next((bit for bit in range(MAX_NEED_BIT + 1) if bit not in taken), None)
    if free is None:
        raise ImproperlyConfigured(
            f"Every need bit (0 to {MAX_NEED_BIT}) is taken: the masks hold at most "
            f"{MAX_NEED_BIT + 1} criteria."
        )
    return free


def assign_need_bits(criterion_model, using):
    """Give each criterion without a bit the lowest free one (rows loaded raw, by loaddata)."""
    for criterion in criterion_model.objects.using(using).filter(need_bit=None).order_by("pk"):
        criterion.need_bit = next_need_bit(criterion_model, using)
        criterion_model.objects.using(using).filter(pk=criterion.pk).update(
            need_bit=criterion.need_bit
        )


class NeedMask:
    """The SQL that computes masks, for `recompute_need_masks`: the bit `need_bit` of a
    unit's mask (a plan, or a platform read as one without plans) is set when the unit
    meets that need: its resolved state (state_on_plan) is one the criterion accepts and,
    with `vendor_only`, its fact is vendor-stated.

    A plan's mask is its platform's facts read on the plan: the platform-wide states, each
    plan state replacing its fact's (adding the bit where the plan's own state meets the
    need, taking it away where the platform-wide one did), and the criteria that follow free
    plans by price. That is two correlated subqueries, each reading one platform's or one
    plan's rows by their foreign key, however many criteria the mask covers.

    `criteria` are CriterionRule (or Criterion) objects; `models` is the app registry to
    take the models from (a migration's historical one), default the project's."""

    def __init__(self, criteria, vendor_only=False, models=None):
        self.criteria = list({c.pk: c for c in criteria}.values())
        self.vendor_only = vendor_only
        registry = models or django_apps
        for name in ("Citation", "Fact", "Plan", "PlanState"):
            setattr(self, name, registry.get_model("platforms", name))

    def bits(self, criteria):
        return need_bits(criteria)

    def _sum(self, rows, group_by, bits):
        """The sum over the rows of `rows` of the expression `bits` (0 without rows)."""
        total = (
            rows.order_by()
            .values(group_by)
            # As bigint: PostgreSQL sums bigints as numeric, which has no bitwise and.
            .annotate(bits=Cast(Sum(bits), models.BigIntegerField()))
            .values("bits")
        )
        return Coalesce(Subquery(total), Value(0), output_field=models.BigIntegerField())

    def _bit(self, criterion_field):
        """A row's criterion's bit: one shift by its need_bit."""
        one = Cast(Value(1), models.BigIntegerField())
        return one.bitleftshift(Cast(f"{criterion_field}__need_bit", models.IntegerField()))

    def _vendor_stated(self, fact_ref):
        """Exists: a citation of the fact is the vendor's own (see evidence_strength)."""
        return Exists(self.Citation.objects.filter(fact=fact_ref, source__kind=VENDOR).order_by())

    def _vendor_q(self, fact_ref, prefix=""):
        """With vendor_only: the row's fact (`prefix` leads to it) is vendor-stated: known,
        uncontested, citing the vendor's own page (evidence_strength "vendor")."""
        if not self.vendor_only:
            return Q()
        return (
            Q(**{f"{prefix}contested": False})
            & ~Q(**{f"{prefix}state": State.UNKNOWN})
            & Q(self._vendor_stated(fact_ref))
        )

    def _meets(self, criteria, criterion_field="criterion_id", state_field="state", vendor=None):
        """1 when a row's state meets its criterion's need (one of `criteria`), else 0: one
        condition per set of states that meets a need, not one per criterion. `vendor` (a
        _vendor_q) comes last in each condition, so that its subquery runs only for rows
        that meet a need."""
        groups = defaultdict(list)
        for c in criteria:
            groups[tuple(c.need_met_by)].append(c.pk)
        whens = [
            When(
                Q(**{f"{criterion_field}__in": pks, f"{state_field}__in": list(states)})
                & (vendor or Q()),
                then=Value(1),
            )
            for states, pks in groups.items()
        ]
        return Case(*whens, default=Value(0))

    def _facts(self, platform_ref):
        return self.Fact.objects.filter(platform=platform_ref)

    def platform_mask(self):
        """The mask of each row of a Platform queryset: the needs one of its units meets
        each, whether or not the same one meets the others. For a platform without plans,
        its own mask (its platform-wide facts); else every bit one of its plans' stored
        masks holds (recompute_need_masks stores the plans' first). As bits: SQLite has no
        bitwise-or aggregate, so each bit is the MAX over the plans of that bit."""
        if not self.criteria:
            # No bits: and no aggregate, so the plans' subquery would not be grouped into
            # one row per platform (PostgreSQL refuses a scalar subquery of several rows).
            return Value(0, output_field=models.BigIntegerField())
        met = self._meets(self.criteria, vendor=self._vendor_q(OuterRef("pk")))
        own = self._sum(self._facts(OuterRef("pk")), "platform", met * self._bit("criterion"))
        column = F(mask_column(self.vendor_only))
        bits = sum(
            (
                Max(column.bitrightshift(Value(c.need_bit)).bitand(Value(1)))
                * Value(1 << c.need_bit)
                for c in self.criteria
            ),
            start=Value(0),
        )
        plans = self.Plan.objects.filter(platform=OuterRef("pk")).order_by().values("platform")
        ored = plans.annotate(bits=Cast(bits, models.BigIntegerField())).values("bits")
        return Coalesce(Subquery(ored), own, output_field=models.BigIntegerField())

    def plan_mask(self):
        """The mask of each row of a Plan queryset."""
        plain = [c for c in self.criteria if not c.follows_free_plans]
        by_price = [c for c in self.criteria if c.follows_free_plans]
        mask = Value(0)
        if plain:
            fact_vendor = self._vendor_q(OuterRef("pk"))
            own_vendor = self._vendor_q(OuterRef("fact_id"), prefix="fact__")
            replaced = (
                self._meets(plain, "fact__criterion_id", vendor=own_vendor)
                - self._meets(plain, "fact__criterion_id", "fact__state", vendor=own_vendor)
            ) * self._bit("fact__criterion")
            platform_wide = self._meets(plain, vendor=fact_vendor) * self._bit("criterion")
            mask = self._sum(
                self._facts(OuterRef("platform_id")), "platform", platform_wide
            ) + self._sum(self.PlanState.objects.filter(plan=OuterRef("pk")), "plan", replaced)
        if by_price:
            free = self.bits(c for c in by_price if c.is_met_by(State.YES))
            trial = self.bits(c for c in by_price if c.is_met_by(State.PARTIAL))
            paid = self.bits(c for c in by_price if c.is_met_by(State.NO))
            cases = [When(free=True, then=Value(free))]
            # Migrations before 0010 compute masks with a Plan that has no `trial` yet.
            if any(f.name == "trial" for f in self.Plan._meta.fields):
                cases.append(When(trial=True, then=Value(trial)))
            price_bits = Case(*cases, default=Value(paid))
            if self.vendor_only:
                stated = Case(
                    When(
                        Q(criterion_id__in=[c.pk for c in by_price])
                        & self._vendor_q(OuterRef("pk")),
                        then=Value(1),
                    ),
                    default=Value(0),
                )
                stated = self._sum(
                    self._facts(OuterRef("platform_id")),
                    "platform",
                    stated * self._bit("criterion"),
                )
                price_bits = price_bits.bitand(stated)
            mask = mask + price_bits
        return ExpressionWrapper(mask, output_field=models.BigIntegerField())


def recompute_need_masks(platforms=None, using=DEFAULT_DB_ALIAS, models=None):
    """Store every mask of `platforms` (ids or a queryset of them; default: all): each of
    their plans' `need_mask` and `vendor_need_mask`, then their own (NeedMask.platform_mask:
    every need one of their units meets). Two UPDATE statements, in that order, in the
    caller's transaction: platforms/signals.py calls it for the platforms each saved or
    deleted row affects, the seed command and the synthetic generator after their bulk
    loads, migration 0009 once."""
    registry = models or django_apps
    criterion, plan, platform = (
        registry.get_model("platforms", name) for name in ("Criterion", "Plan", "Platform")
    )
    assign_need_bits(criterion, using)
    rules = CriterionRule.all(criterion, using)
    plain, vendor = NeedMask(rules, False, models), NeedMask(rules, True, models)
    plans = plan.objects.using(using).order_by()
    platform_rows = platform.objects.using(using).order_by()
    if platforms is not None:
        plans = plans.filter(platform_id__in=platforms)
        platform_rows = platform_rows.filter(pk__in=platforms)
    plans.update(need_mask=plain.plan_mask(), vendor_need_mask=vendor.plan_mask())
    platform_rows.update(need_mask=plain.platform_mask(), vendor_need_mask=vendor.platform_mask())


def stale_need_masks(using=DEFAULT_DB_ALIAS):
    """The plans and platforms whose stored masks differ from what their rows say now:
    [(row, stored (need_mask, vendor_need_mask), recomputed)], for `make check-data`."""
    rules = CriterionRule.all(Criterion, using)
    if any(rule.need_bit is None for rule in rules):
        return [(c, None, None) for c in Criterion.objects.using(using).filter(need_bit=None)]
    plain, vendor = NeedMask(rules), NeedMask(rules, vendor_only=True)
    stale = []
    for model, mask in ((Plan, NeedMask.plan_mask), (Platform, NeedMask.platform_mask)):
        rows = model.objects.using(using).annotate(fresh=mask(plain), fresh_vendor=mask(vendor))
        rows = rows.exclude(need_mask=F("fresh"), vendor_need_mask=F("fresh_vendor"))
        for row in rows:
            stale.append(
                (
                    row,
                    (row.need_mask, row.vendor_need_mask),
                    (row.fresh, row.fresh_vendor),
                )
            )
    return stale


# ---- Queries on the stored masks -----------------------------------------------------------


def mask_column(vendor_only):
    return "vendor_need_mask" if vendor_only else "need_mask"


class MaskHolds(Func):
    """`(mask & bits) = bits`: the stored mask holds every one of `bits`. One SQL node with
    the integer written in: a tree of combined expressions (a bitand, its values, the
    comparison) is resolved, copied and given output fields anew in every query, about a
    fifth of a new search's time."""

    output_field = models.BooleanField()

    def __init__(self, column, bits):
        bits = int(bits)  # an int, never text: written into the SQL
        super().__init__(F(column), template=f"((%(expressions)s & {bits}) = {bits})")


class MasksNeedsMet(Func):
    """How many of the need bits `bits` a stored mask holds: the sum of each bit, one SQL
    node (see MaskHolds)."""

    output_field = models.IntegerField()

    def __init__(self, column, bits):
        terms = " + ".join(f"((%(expressions)s >> {int(bit)}) & 1)" for bit in bits)
        super().__init__(F(column), template=f"({terms or '0'})")


def holds(bits, vendor_only):
    """The condition: a row's stored mask (a Plan's, or a Platform's read without plans)
    holds every one of `bits`."""
    return Q(MaskHolds(mask_column(vendor_only), bits))


def without_plans():
    return ~Exists(Plan.objects.filter(platform=OuterRef("pk")))


def plans_meeting(needs, vendor_only=False, platform_ref=None):
    """The plans (of the platform `platform_ref`, default the outer query's row) that meet
    every one of `needs`."""
    plans = Plan.objects.filter(platform=OuterRef("pk") if platform_ref is None else platform_ref)
    bits = need_bits(needs)
    return plans.filter(holds(bits, vendor_only)) if bits else plans


def platforms_meeting(platforms, needs, vendor_only=False):
    """The platforms of `platforms` with a plan (or, without plans, facts) meeting every
    one of `needs`."""
    if not needs:
        return platforms
    # The platform's own mask holds every need one of its units meets: a one-column test
    # that leaves out most platforms before the plans are read, and all a platform without
    # plans needs.
    meeting = plans_meeting(needs, vendor_only).order_by()
    return platforms.filter(
        holds(need_bits(needs), vendor_only) & (Q(without_plans()) | Q(Exists(meeting)))
    )


def needs_met_expression(needs, vendor_only):
    """How many of `needs` a row's stored mask holds."""
    return MasksNeedsMet(mask_column(vendor_only), [need.need_bit for need in needs])


def with_needs_met(platforms, needs, vendor_only=False):
    """Annotate `needs_met`: the most of `needs` that one plan of each platform meets."""
    if not needs:
        return platforms.annotate(needs_met=Value(0))
    met = needs_met_expression(needs, vendor_only)
    best_plan = (
        Plan.objects.filter(platform=OuterRef("pk"))
        .annotate(met=met)
        .order_by("-met")
        .values("met")[:1]
    )
    return platforms.annotate(
        needs_met=Coalesce(Subquery(best_plan), met, output_field=models.IntegerField())
    )


def monthly_price_expression():
    """A plan's price per month, as Plan.monthly_price computes it (None when unknown)."""
    yearly = [p for p, months in Plan.MONTHS_IN.items() if months == 12]
    # As floats: SQLite divides an integral decimal by an integer as integers.
    amount = Cast("price_amount", models.FloatField())
    return Case(
        When(free=True, then=Value(0.0)),
        When(price_period__in=yearly, then=amount / Value(12.0)),
        default=amount,
        output_field=models.FloatField(),
    )


def with_cheapest_meeting(platforms, needs, vendor_only=False):
    """Annotate `cheapest_price`: the lowest monthly price of a plan meeting all `needs`
    (None when no such plan states a price)."""
    priced = (
        plans_meeting(needs, vendor_only)
        .annotate(monthly=monthly_price_expression())
        .filter(monthly__isnull=False)
        .order_by("monthly")
        .values("monthly")[:1]
    )
    return platforms.annotate(cheapest_price=Subquery(priced))


def facet_counts(platforms, chosen, criteria, vendor_only=False):
    """For each of `criteria`: how many of `platforms` would still be listed with it added
    to the `chosen` needs. `platforms` may be the catalogue before or after the chosen needs
    filter it: only units meeting every chosen need count. One query whatever the
    catalogue's size: the stored mask of each plan and each planless platform meeting the
    chosen needs, counted here."""
    if not criteria:
        return {}
    column, required = mask_column(vendor_only), need_bits(chosen)
    ids = platforms.order_by().values("pk")
    if not required:
        # Each platform's own mask already holds every need one of its units meets; few
        # platforms differ, so they are counted per distinct mask.
        per_mask = (
            Platform.objects.filter(pk__in=ids)
            .order_by()
            .values_list(column)
            .annotate(n=Count("pk"))
        )
        counts = bit_counts(per_mask, criteria)
        return {c.slug: n for c, n in zip(criteria, counts, strict=True)}
    plans = Plan.objects.filter(platform__in=ids)
    planless = Platform.objects.filter(without_plans(), pk__in=ids)
    if required:
        plans, planless = (
            plans.filter(holds(required, vendor_only)),
            planless.filter(holds(required, vendor_only)),
        )
    units = (
        plans.order_by()
        .values_list("platform_id", column)
        .union(planless.order_by().values_list("pk", column), all=True)
    )
    # Per platform: every need met by one of its units that also meets all the chosen ones.
    reachable = defaultdict(int)
    for platform_id, bits in units:
        reachable[platform_id] |= bits
    counts = bit_counts(reachable.values(), criteria)
    return {c.slug: n for c, n in zip(criteria, counts, strict=True)}


def bit_counts(masks, criteria):
    """For each of `criteria`, how many of `masks` hold its bit: from one histogram per byte
    of the masks (at most 256 values each), not one pass over the masks per criterion.
    `masks` are masks or (mask, how many times it occurs) pairs."""
    weighted = [m if isinstance(m, tuple) else (m, 1) for m in masks]
    histograms = {}
    counts = []
    for criterion in criteria:
        byte, bit = divmod(criterion.need_bit, 8)
        if byte not in histograms:
            histogram = histograms[byte] = Counter()
            for mask, times in weighted:
                histogram[(mask >> (8 * byte)) & 0xFF] += times
        counts.append(sum(n for value, n in histograms[byte].items() if value >> bit & 1))
    return counts
