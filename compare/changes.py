"""The public change log: what changed in the published facts, as a page and an Atom feed.

Read from the history tables of the facts and of their per-plan states. It says which
platform and criterion changed (and on which plan, for a plan's own state), from which state
to which, and when; never who (editors' names and e-mails stay in the admin).
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Lag
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from corrections.models import READER_CORRECTION_REASON
from platforms.models import SEED_CHANGE_REASON, Fact, Plan, PlanState, Platform, State

from .forms import ChangeLogForm

MAX_CHANGES = 100
STATE_LABELS = dict(State.choices)
# What a change reads from any history row: which record, when, what kind, why, the state.
HISTORY_COLUMNS = ("history_id", "history_date", "history_type", "history_change_reason", "state")


class UnknownPlatform(Exception):
    def __init__(self, slug):
        self.slug = slug
        super().__init__(slug)

    @property
    def message(self):
        return _("No published platform has the slug “%(slug)s”.") % {"slug": self.slug}


def chosen_platform(request):
    """The platform named by ?platform=<slug>, None when not given; UnknownPlatform if bad."""
    form = ChangeLogForm(request.GET)
    if not form.is_valid():
        raise UnknownPlatform(request.GET.get("platform", "").strip()[:60])
    return form.cleaned_data["platform"]


def fact_changes(platform=None, limit=MAX_CHANGES):
    """The newest state changes of published facts, platform-wide and per plan, newest
    first, in two queries."""
    platforms = None if platform is None else [platform]
    return newest_first(
        [describe(row) for row in state_change_rows(platforms)[:limit]]
        + [describe_plan_change(row) for row in plan_state_change_rows(platforms)[:limit]]
    )[:limit]


def fact_changes_between(since, until, platforms=None):
    """Every state change (platform-wide and per plan) recorded after `since` and up to
    `until`, newest first (for the e-mail alerts, which send each subscriber the changes
    since its last message)."""
    return newest_first(
        [describe(row) for row in state_change_rows(platforms, since, until)]
        + [describe_plan_change(row) for row in plan_state_change_rows(platforms, since, until)]
    )


def newest_first(changes):
    return sorted(changes, key=lambda change: change.when, reverse=True)


def changed_states(rows, since=None, until=None, counterpart=None):
    """The history `rows` (of a model with a `state`) that change a state, newest first.

    A row is a change when its state differs from the same row's previous history record
    (an edit that touched only a note or the sources is not one), or when an editor added
    or removed the row; the seed command's first load is not a change. `counterpart`, an
    annotation, names the state an added or removed row replaces or leaves behind (a plan's
    own state replaces the fact's platform-wide one): equal to it, nothing changed."""
    rows = rows.annotate(
        old_state=Window(
            Lag("state"),
            partition_by=[F("id")],
            order_by=[F("history_date").asc(), F("history_id").asc()],
        )
    )
    changed = Q(history_type="~", old_state__isnull=False) & ~Q(old_state=F("state"))
    added = Q(history_type="+") & (
        Q(history_change_reason__isnull=True) | ~Q(history_change_reason=SEED_CHANGE_REASON)
    )
    removed = Q(history_type="-")
    if counterpart is not None:
        differs = ~Q(state=F(counterpart))
        added, removed = added & differs, removed & differs
    if since is not None or until is not None:
        # Repeated inside each alternative, so Django filters on the date together with the
        # window (its QUALIFY step): a WHERE would drop the earlier row that Lag compares with.
        when = Q()
        if since is not None:
            when &= Q(history_date__gt=since)
        if until is not None:
            when &= Q(history_date__lte=until)
        changed, added, removed = changed & when, added & when, removed & when
    return rows.filter(changed | added | removed).order_by("-history_date", "-history_id")


def state_change_rows(platforms=None, since=None, until=None):
    """The facts' history rows that change a fact's platform-wide state, newest first."""
    rows = Fact.history.filter(platform__published=True)
    if platforms is not None:
        rows = rows.filter(platform__in=platforms)
    return (
        changed_states(rows, since, until)
        .select_related("platform", "criterion")
        .only(
            *HISTORY_COLUMNS,
            "platform__name",
            "platform__slug",
            "criterion__label",
            "criterion__slug",
        )
    )


def plan_state_change_rows(platforms=None, since=None, until=None):
    """The history rows of the facts' per-plan states (PlanState) that change a fact's state
    on one plan, newest first. Adding a plan's own state changes that plan from the fact's
    platform-wide state at the time (`platform_wide`); removing it changes the plan back.
    Rows of a plan or fact deleted since are left out: there is no plan left to name."""
    platform_wide = Subquery(
        Fact.history.filter(id=OuterRef("fact_id"), history_date__lte=OuterRef("history_date"))
        .order_by("-history_date", "-history_id")
        .values("state")[:1]
    )
    rows = PlanState.history.annotate(platform_wide=platform_wide).filter(
        plan__platform__published=True, fact__platform=F("plan__platform")
    )
    if platforms is not None:
        rows = rows.filter(plan__platform__in=platforms)
    return (
        changed_states(rows, since, until, counterpart="platform_wide")
        .select_related("plan__platform", "fact__criterion")
        .only(
            *HISTORY_COLUMNS,
            "plan__name",
            "plan__platform__name",
            "plan__platform__slug",
            "fact__criterion__label",
            "fact__criterion__slug",
        )
    )


@dataclass
class Change:
    id: str
    when: object
    platform: Platform
    criterion: object
    old: str
    new: str
    plan: Plan | None = None  # None: the fact's platform-wide state
    # "a reader's correction" when an accepted correction made the change; never a name.
    credit: str = ""

    @property
    def wording(self):
        """ "BAA offered: Yes → No", and " on Basic" when the change is one plan's."""
        if self.plan is None:
            return _("%(criterion)s: %(old)s → %(new)s") % self.words()
        return _("%(criterion)s: %(old)s → %(new)s on %(plan)s") % self.words()

    @property
    def summary(self):
        return f"{self.platform.name} · {self.wording}"

    def words(self):
        return {
            "criterion": self.criterion.label,
            "platform": self.platform.name,
            "plan": self.plan.name if self.plan else "",
            "old": self.old,
            "new": self.new,
        }


def label(state):
    return STATE_LABELS.get(state, state)


def describe(row):
    added, removed = row.history_type == "+", row.history_type == "-"
    return Change(
        id=str(row.history_id),
        when=row.history_date,
        platform=row.platform,
        criterion=row.criterion,
        old=_("(not listed)") if added else label(row.state if removed else row.old_state),
        new=_("(removed)") if removed else label(row.state),
        credit=credit(row),
    )


def credit(row):
    """Who to credit in public for a history row: an accepted reader's correction, or no one."""
    return (
        _("a reader's correction") if row.history_change_reason == READER_CORRECTION_REASON else ""
    )


def describe_plan_change(row):
    """A plan's state before and after: a plan without its own state has the fact's."""
    added, removed = row.history_type == "+", row.history_type == "-"
    own_before = row.state if removed else row.old_state
    return Change(
        id=f"plan-{row.history_id}",  # its own history table: ids apart from the facts'
        when=row.history_date,
        platform=row.plan.platform,
        criterion=row.fact.criterion,
        old=label(row.platform_wide if added else own_before),
        new=label(row.platform_wide if removed else row.state),
        plan=row.plan,
        credit=credit(row),
    )


@require_safe
def change_list(request):
    context = {"platforms": Platform.objects.published().only("name", "slug").order_by("name")}
    try:
        platform = chosen_platform(request)
    except UnknownPlatform as error:
        context["error"] = error.message
        return render(request, "compare/change_list.html", context, status=400)
    context.update(platform=platform, changes=fact_changes(platform))
    return render(request, "compare/change_list.html", context)


@dataclass
class FeedScope:
    platform: Platform | None
    page_url: str


class ChangeFeed(Feed):
    """/changes/feed/ (and ?platform=<slug>): the change log as Atom 1.0."""

    feed_type = Atom1Feed
    author_name = "Teletherapy Compare"

    def __call__(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return render_error(request, _("The feed can only be read (GET)."), 405)
        try:
            return super().__call__(request, *args, **kwargs)
        except UnknownPlatform as error:
            return render_error(request, error.message, 400)

    def get_object(self, request):
        platform = chosen_platform(request)
        page = reverse("compare:change-list")
        if platform is not None:
            page += f"?platform={platform.slug}"
        return FeedScope(platform, request.build_absolute_uri(page))

    def title(self, scope):
        if scope.platform is None:
            return _("Teletherapy Compare: changes to published facts")
        return _("Teletherapy Compare: changes to %(name)s") % {"name": scope.platform.name}

    def subtitle(self, scope):
        return _("Each time a platform's fact changes state: which fact, from what to what.")

    def link(self, scope):
        return scope.page_url

    def items(self, scope):
        changes = fact_changes(scope.platform)
        for change in changes:
            change.guid = f"{scope.page_url.split('?')[0]}#change-{change.id}"
        return changes

    def item_title(self, change):
        return change.summary

    def item_description(self, change):
        # Atom's <summary type="html"> is HTML to the feed reader: escape the plain text.
        if change.plan is None:
            text = _("%(criterion)s on %(platform)s changed from “%(old)s” to “%(new)s”.")
        else:
            text = _(
                "%(criterion)s on %(platform)s (plan: %(plan)s) changed from “%(old)s” to "
                "“%(new)s”."
            )
        return escape(text % change.words())

    def item_link(self, change):
        return reverse("compare:platform-detail", kwargs={"slug": change.platform.slug}) + (
            f"#fact-{change.criterion.slug}"
        )

    def item_guid(self, change):
        return change.guid

    item_guid_is_permalink = False

    def item_pubdate(self, change):
        return change.when

    def item_updateddate(self, change):
        return change.when


def render_error(request, message, status):
    context = {"error": message, "platforms": Platform.objects.published().order_by("name")}
    response = render(request, "compare/change_list.html", context, status=status)
    if status == 405:
        response["Allow"] = "GET, HEAD"
    return response
