"""Which plans meet a therapist's needs: the one definition of "a plan meets a need".

A fact has a platform-wide state and may differ on named plans (PlanState). A plan meets a
need when its resolved state for that criterion is one the criterion's recommendation accepts
(Criterion.is_met_by / need_met_by). A platform meets a set of needs when at least one of its
plans meets them all; a platform with no recorded plans is one plan, its platform-wide facts.
With `vendor_only`, only facts the vendor itself states (evidence strength "vendor") count.

The same rule is written twice, side by side: as SQL expressions for the list's filter, sort
and counts (any catalogue size, constant queries), and in Python for the cards, pages and
exports, which read prefetched rows. tests/compare/test_plan_needs.py checks that the two
agree for many random need sets. In SQL, `NeedMask` gives each plan one integer whose bits
are the needs it meets (the filter, the price sort and the facet counts); `PlanNeeds`, one
condition per criterion, counts how many needs a plan meets (the sort by needs met and the
closest matches).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connections, models
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact

from .models import Citation, Fact, Plan, PlanState, Platform, Source, State, state_on_plan

# ---- Python: from prefetched rows ---------------------------------------------------------


def resolved_state(fact, plan, overrides):
    """The state of `fact` on `plan` (None: a platform without plans), given the fact's
    {plan_id: PlanState}."""
    if plan is None:
        return fact.state
    override = overrides.get(plan.pk)
    return state_on_plan(
        fact.state, fact.criterion.follows_free_plans, plan.free, override and override.state
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
        self.plans = list(platform.plans.all())
        facts = platform.facts.all() if facts is None else facts
        self.facts = {fact.criterion_id: fact for fact in facts}
        self.overrides = {
            fact.criterion_id: {ps.plan_id: ps for ps in fact.plan_states.all()}
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


# ---- SQL: the same rule as expressions ----------------------------------------------------


def vendor_stated(fact_ref):
    """Exists: a citation of the fact is the vendor's own (see evidence_strength)."""
    return Exists(Citation.objects.filter(fact=fact_ref, source__kind=Source.Kind.VENDOR))


def fact_meets(criterion, platform_ref, vendor_only):
    """A queryset of the platform's fact for `criterion`, when its platform-wide state
    meets the need (used for platforms without plans)."""
    facts = Fact.objects.filter(
        platform=platform_ref, criterion=criterion, state__in=criterion.need_met_by
    )
    if vendor_only:
        facts = facts.filter(contested=False).filter(vendor_stated(OuterRef("pk")))
    return facts


def plan_state_expression(criterion):
    """The resolved state of `criterion` on each row of a Plan queryset."""
    if criterion.follows_free_plans:
        return Case(When(free=True, then=Value(State.YES)), default=Value(State.NO))
    # Without order_by() the models' Meta.ordering would join platform, criterion and plan
    # into every one of these correlated subqueries, once per plan and criterion.
    override = PlanState.objects.filter(plan=OuterRef("pk"), fact__criterion=criterion)
    base = Fact.objects.filter(platform=OuterRef("platform_id"), criterion=criterion)
    return Coalesce(
        Subquery(override.order_by().values("state")[:1]),
        Subquery(base.order_by().values("state")[:1]),
        Value(State.UNKNOWN),
    )


class PlanNeeds:
    """SQL conditions for a set of criteria on plans and on platforms without plans.

    `plans()` is a Plan queryset with one boolean condition per criterion available as
    `self.plan_q(criterion)`; `platform_q(criterion)` is the condition for a platform that
    records no plans."""

    def __init__(self, criteria, vendor_only=False):
        self.criteria = list(criteria)
        self.vendor_only = vendor_only

    def alias(self, criterion):
        return f"state_{criterion.pk}"

    def vendor_alias(self, criterion):
        return f"vendor_{criterion.pk}"

    def plans(self, queryset=None):
        queryset = Plan.objects.all() if queryset is None else queryset
        aliases = {self.alias(c): plan_state_expression(c) for c in self.criteria}
        if self.vendor_only:
            for c in self.criteria:
                aliases[self.vendor_alias(c)] = Exists(
                    fact_meets_any_state(c, OuterRef("platform_id"))
                )
        return queryset.alias(**aliases)

    def plan_q(self, criterion):
        q = Q(**{f"{self.alias(criterion)}__in": criterion.need_met_by})
        if self.vendor_only:
            q &= Q(**{self.vendor_alias(criterion): True})
        return q

    def plan_q_all(self, criteria=None):
        q = Q()
        for criterion in self.criteria if criteria is None else criteria:
            q &= self.plan_q(criterion)
        return q

    def platform_q(self, criterion, platform_ref=None):
        ref = OuterRef("pk") if platform_ref is None else platform_ref
        return Q(Exists(fact_meets(criterion, ref, self.vendor_only)))

    def platform_q_all(self, criteria=None):
        q = Q()
        for criterion in self.criteria if criteria is None else criteria:
            q &= self.platform_q(criterion)
        return q


def fact_meets_any_state(criterion, platform_ref):
    """The platform's vendor-stated, uncontested fact for `criterion` (any state): with
    vendor_only, a plan's state counts only when its fact's evidence is the vendor's."""
    return (
        Fact.objects.filter(platform=platform_ref, criterion=criterion, contested=False)
        .filter(vendor_stated(OuterRef("pk")))
        .exclude(state=State.UNKNOWN)
    )


def without_plans():
    return ~Exists(Plan.objects.filter(platform=OuterRef("pk")))


class NeedMask:
    """A set of criteria as the bits of one integer per unit: a plan, or a platform that
    records no plans. The bit `bit[criterion.pk]` of a unit's mask is set when the unit
    meets that need: its resolved state (state_on_plan) is one the criterion accepts and,
    with `vendor_only`, its fact is vendor-stated. A unit meets a set of needs when its
    mask holds all their bits.

    A plan's mask is its platform's facts read on the plan: the platform-wide states, each
    plan state replacing its fact's (adding the bit where the plan's own state meets the
    need, taking it away where the platform-wide one did), and the criteria that follow free
    plans by price. That is two correlated subqueries, each reading one platform's or one
    plan's rows by their foreign key, however many criteria the mask covers. (One
    expression per criterion made the facet counts at 500 platforms take over a second.)"""

    # A criterion's bit is 1 << its id while every id fits a 64-bit integer: SQL then finds a
    # row's bit with one shift, not a CASE over the criteria (at 5,000 platforms the facet
    # query reads 200,000 fact rows).
    MAX_ID_BIT = 62

    def __init__(self, criteria, vendor_only=False):
        self.criteria = list({c.pk: c for c in criteria}.values())
        self.vendor_only = vendor_only
        self.by_id = all(0 < c.pk <= self.MAX_ID_BIT for c in self.criteria)
        self.bit = {c.pk: 1 << (c.pk if self.by_id else i) for i, c in enumerate(self.criteria)}

    def bits(self, criteria):
        return sum(self.bit[pk] for pk in {c.pk for c in criteria})

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

    def _bit(self, criteria, criterion_field):
        """A row's criterion's bit."""
        if self.by_id:
            one = Cast(Value(1), models.BigIntegerField())
            return one.bitleftshift(Cast(criterion_field, models.IntegerField()))
        whens = [When(**{criterion_field: c.pk}, then=Value(self.bit[c.pk])) for c in criteria]
        return Case(*whens, default=Value(0))

    def _vendor_q(self, fact_ref, prefix=""):
        """With vendor_only: the row's fact (`prefix` leads to it) is vendor-stated: known,
        uncontested, citing the vendor's own page (evidence_strength "vendor")."""
        if not self.vendor_only:
            return Q()
        return (
            Q(**{f"{prefix}contested": False})
            & ~Q(**{f"{prefix}state": State.UNKNOWN})
            & Q(vendor_stated(fact_ref))
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
        # Only the platform: a `criterion__in` here makes SQLite read the whole need index.
        return Fact.objects.filter(platform=platform_ref)

    def platform_mask(self):
        """The mask of each row of a Platform queryset, read as a platform without plans."""
        met = self._meets(self.criteria, vendor=self._vendor_q(OuterRef("pk")))
        return self._sum(
            self._facts(OuterRef("pk")), "platform", met * self._bit(self.criteria, "criterion_id")
        )

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
            ) * self._bit(plain, "fact__criterion_id")
            platform_wide = self._meets(plain, vendor=fact_vendor) * self._bit(
                plain, "criterion_id"
            )
            mask = self._sum(
                self._facts(OuterRef("platform_id")), "platform", platform_wide
            ) + self._sum(PlanState.objects.filter(plan=OuterRef("pk")), "plan", replaced)
        if by_price:
            free = self.bits(c for c in by_price if c.is_met_by(State.YES))
            paid = self.bits(c for c in by_price if c.is_met_by(State.NO))
            price_bits = Case(When(free=True, then=Value(free)), default=Value(paid))
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
                    stated * self._bit(by_price, "criterion_id"),
                )
                price_bits = price_bits.bitand(stated)
            mask = mask + price_bits
        return ExpressionWrapper(mask, output_field=models.BigIntegerField())

    def plans_meeting(self, plans, criteria=None):
        """The plans of `plans` that meet every one of `criteria` (default: all)."""
        need = self.bits(self.criteria if criteria is None else criteria)
        if not need:
            return plans
        return plans.filter(Exact(self.plan_mask().bitand(Value(need)), Value(need)))

    def platform_meets(self, criteria=None):
        """The condition on a Platform row, read as a platform without plans."""
        need = self.bits(self.criteria if criteria is None else criteria)
        return Q(Exact(self.platform_mask().bitand(Value(need)), Value(need)))

    def units_sql(self, using):
        """The SQL (and its parameters) of every unit's (platform id, mask): plans, and
        platforms without plans. Compiled once per set of criteria and process (see
        COMPILED_UNITS): Django takes longer to compile it than SQLite to run it on a few
        hundred platforms."""
        key = (
            using,
            self.vendor_only,
            self.by_id,
            tuple((c.pk, c.recommended, c.follows_free_plans) for c in self.criteria),
        )
        if key not in COMPILED_UNITS:
            plans = (
                Plan.objects.using(using)
                .order_by()
                .annotate(unit_platform=F("platform_id"), bits=self.plan_mask())
                .values_list("unit_platform", "bits")
            )
            planless = (
                Platform.objects.using(using)
                .filter(without_plans())
                .order_by()
                .annotate(unit_platform=F("pk"), bits=self.platform_mask())
                .values_list("unit_platform", "bits")
            )
            if len(COMPILED_UNITS) >= MAX_COMPILED_UNITS:
                COMPILED_UNITS.clear()
            COMPILED_UNITS[key] = (plans.query.sql_with_params(), planless.query.sql_with_params())
        return COMPILED_UNITS[key]

    def units(self, platform_ids):
        """[(platform id, mask)] of every plan of the platforms `platform_ids` (a queryset of
        their pks) and of each of them that records no plans: one query."""
        using = platform_ids.db
        (plans, plans_params), (planless, planless_params) = self.units_sql(using)
        ids, ids_params = platform_ids.query.sql_with_params()
        # Every part is SQL that Django compiled; every value is a parameter.
        sql = (
            f"SELECT u.unit_platform, u.bits FROM ({plans}) u "  # noqa: S608
            f"WHERE u.unit_platform IN ({ids}) "
            f"UNION ALL SELECT v.unit_platform, v.bits FROM ({planless}) v "
            f"WHERE v.unit_platform IN ({ids})"
        )
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [*plans_params, *ids_params, *planless_params, *ids_params])
            return cursor.fetchall()


# NeedMask.units_sql's compiled SQL by (database, vendor_only, criteria with what decides
# their bits): a few sets of criteria in practice (the list's filterable ones, and those with
# each chosen need); an edit to a criterion's recommendation makes a new key.
COMPILED_UNITS = {}
MAX_COMPILED_UNITS = 256


def platforms_meeting(platforms, needs, vendor_only=False):
    """The platforms of `platforms` with a plan (or, without plans, facts) meeting every
    one of `needs`."""
    if not needs:
        return platforms
    mask = NeedMask(needs, vendor_only)
    meeting_plans = mask.plans_meeting(Plan.objects.filter(platform=OuterRef("pk")))
    return platforms.filter(
        Q(Exists(meeting_plans)) | (Q(without_plans()) & mask.platform_meets())
    )


def with_needs_met(platforms, needs, vendor_only=False):
    """Annotate `needs_met`: the most of `needs` that one plan of each platform meets."""
    if not needs:
        return platforms.annotate(needs_met=Value(0))
    sql = PlanNeeds(needs, vendor_only)
    count = sum(
        (Case(When(sql.plan_q(c), then=Value(1)), default=Value(0)) for c in needs),
        start=Value(0),
    )
    best_plan = (
        sql.plans(Plan.objects.filter(platform=OuterRef("pk")))
        .annotate(met=count)
        .order_by("-met")
        .values("met")[:1]
    )
    planless = sum(
        (Case(When(sql.platform_q(c), then=Value(1)), default=Value(0)) for c in needs),
        start=Value(0),
    )
    return platforms.annotate(
        needs_met=Coalesce(Subquery(best_plan), planless, output_field=models.IntegerField())
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
    plans = NeedMask(needs, vendor_only).plans_meeting(
        Plan.objects.filter(platform=OuterRef("pk"))
    )
    priced = (
        plans.annotate(monthly=monthly_price_expression())
        .filter(monthly__isnull=False)
        .order_by("monthly")
        .values("monthly")[:1]
    )
    return platforms.annotate(cheapest_price=Subquery(priced))


def facet_counts(platforms, chosen, criteria, vendor_only=False):
    """For each of `criteria`: how many of `platforms` would still be listed with it added
    to the `chosen` needs. `platforms` may be the catalogue before or after the chosen needs
    filter it: only units meeting every chosen need count. One query whatever the
    catalogue's size: each plan's and each planless platform's mask, counted here."""
    if not criteria:
        return {}
    mask = NeedMask([*chosen, *criteria], vendor_only)
    required = mask.bits(chosen)
    # Per platform: every need met by one of its units that also meets all the chosen ones.
    reachable = defaultdict(int)
    for platform_id, bits in mask.units(platforms.order_by().values("pk")):
        if bits & required == required:
            reachable[platform_id] |= bits
    counts = bit_counts(reachable.values(), mask, criteria)
    return {c.slug: n for c, n in zip(criteria, counts, strict=True)}


def bit_counts(masks, mask, criteria):
    """For each of `criteria`, how many of `masks` hold its bit: from one histogram per byte
    of the masks (at most 256 values each), not one pass over the masks per criterion."""
    masks = list(masks)
    histograms = {}
    counts = []
    for criterion in criteria:
        shift = mask.bit[criterion.pk].bit_length() - 1
        byte, bit = divmod(shift, 8)
        if byte not in histograms:
            histograms[byte] = Counter((m >> (8 * byte)) & 0xFF for m in masks)
        counts.append(sum(n for value, n in histograms[byte].items() if value >> bit & 1))
    return counts
