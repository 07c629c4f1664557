"""The public change log: what changed in the published facts, as a page and an Atom feed.

Read from the facts' history table. It says which platform and criterion changed, from which
state to which, and when; never who (editors' names and e-mails stay in the admin).
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import F, Q, Window
from django.db.models.functions import Lag
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from corrections.models import READER_CORRECTION_REASON
from platforms.models import SEED_CHANGE_REASON, Fact, Platform, State

from .forms import ChangeLogForm

MAX_CHANGES = 100
STATE_LABELS = dict(State.choices)


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
    """The newest state changes of published facts, newest first, in one query."""
    platforms = None if platform is None else [platform]
    return [describe(row) for row in state_change_rows(platforms)[:limit]]


def fact_changes_between(since, until, platforms=None):
    """Every state change recorded after `since` and up to `until`, newest first (for the
    e-mail alerts, which send each subscriber the changes since its last message)."""
    return [describe(row) for row in state_change_rows(platforms, since, until)]


def state_change_rows(platforms=None, since=None, until=None):
    """The history rows that are state changes, newest first.

    A row is a change when its state differs from the same fact's previous history row (an
    edit that touched only a note or the sources is not listed), or when a fact was added
    or removed by an editor. The seed command's first load is not a change."""
    history = Fact.history.model
    rows = history.objects.annotate(
        old_state=Window(
            Lag("state"),
            partition_by=[F("id")],
            order_by=[F("history_date").asc(), F("history_id").asc()],
        )
    ).filter(platform__published=True)
    if platforms is not None:
        rows = rows.filter(platform__in=platforms)
    changed = Q(history_type="~", old_state__isnull=False) & ~Q(old_state=F("state"))
    added = Q(history_type="+") & (
        Q(history_change_reason__isnull=True) | ~Q(history_change_reason=SEED_CHANGE_REASON)
    )
    removed = Q(history_type="-")
    if since is not None or until is not None:
        # Repeated inside each alternative, so Django filters on the date together with the
        # window (its QUALIFY step): a WHERE would drop the earlier row that Lag compares with.
        when = Q()
        if since is not None:
            when &= Q(history_date__gt=since)
        if until is not None:
            when &= Q(history_date__lte=until)
        changed, added, removed = changed & when, added & when, removed & when
    return (
        rows.filter(changed | added | removed)
        .select_related("platform", "criterion")
        .only(
            "history_id",
            "history_date",
            "history_type",
            "history_change_reason",
            "state",
            "platform__name",
            "platform__slug",
            "criterion__label",
            "criterion__slug",
        )
        .order_by("-history_date", "-history_id")
    )


@dataclass
class Change:
    id: int
    when: object
    platform: Platform
    criterion: object
    old: str
    new: str
    # "a reader's correction" when an accepted correction made the change; never a name.
    credit: str = ""

    @property
    def summary(self):
        return f"{self.platform.name} · {self.criterion.label}: {self.old} → {self.new}"


def label(state):
    return STATE_LABELS.get(state, state)


def describe(row):
    added, removed = row.history_type == "+", row.history_type == "-"
    return Change(
        id=row.history_id,
        when=row.history_date,
        platform=row.platform,
        criterion=row.criterion,
        old=_("(not listed)") if added else label(row.state if removed else row.old_state),
        new=_("(removed)") if removed else label(row.state),
        credit=_("a reader's correction")
        if row.history_change_reason == READER_CORRECTION_REASON
        else "",
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
        return escape(
            _("%(criterion)s on %(platform)s changed from “%(old)s” to “%(new)s”.")
            % {
                "criterion": change.criterion.label,
                "platform": change.platform.name,
                "old": change.old,
                "new": change.new,
            }
        )

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
