"""What an alert says: the changes in a window of time, one small function per kind.

Each kind is a function `(since, until) -> list[Item]` over every published platform, listed
in KINDS; send_alerts calls each once per distinct window and keeps, for each subscriber,
the items of the platforms it follows. A new kind of change is one more function here and
one more entry in KINDS.
"""

from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from compare.changes import fact_changes_between
from monitoring.models import CitationCheck, review_checks
from platforms.models import SEED_CHANGE_REASON, Incident


@dataclass(frozen=True)
class Item:
    platform_id: int
    platform_name: str
    when: object
    kind: str
    text: str
    path: str

    @property
    def url(self):
        return absolute_url(self.path)


def absolute_url(path):
    return settings.SITE_URL.strip().rstrip("/") + path


def platform_path(slug, anchor=""):
    path = reverse("compare:platform-detail", kwargs={"slug": slug})
    return f"{path}#{anchor}" if anchor else path


def state_changes(since, until):
    """Facts whose state changed, platform-wide or on one plan ("BAA offered: Yes → No on
    Basic"): the public change log's rule and wording, compare/changes.py."""
    return [
        Item(
            platform_id=change.platform.pk,
            platform_name=change.platform.name,
            when=change.when,
            kind="state" if change.plan is None else "plan-state",
            text=change.wording,
            path=platform_path(change.platform.slug, f"fact-{change.criterion.slug}"),
        )
        for change in fact_changes_between(since, until)
    ]


def new_incidents(since, until):
    """Incidents an editor added to a published platform (not the seed data's)."""
    rows = (
        Incident.history.filter(
            history_type="+",
            history_date__gt=since,
            history_date__lte=until,
            platform__published=True,
        )
        .exclude(history_change_reason=SEED_CHANGE_REASON)
        .select_related("platform")
        .order_by("-history_date", "-history_id")
    )
    return [
        Item(
            platform_id=row.platform.pk,
            platform_name=row.platform.name,
            when=row.history_date,
            kind="incident",
            text=_("New %(kind)s incident: %(title)s (status: %(status)s)")
            % {
                "kind": row.get_kind_display().lower(),
                "title": row.title,
                "status": row.get_status_display().lower(),
            },
            path=platform_path(row.platform.slug, "incidents-heading"),
        )
        for row in rows
    ]


def flagged_for_review(since, until):
    """Facts that source monitoring put up for review in the window (a quoted page changed,
    went or stayed unreachable) and that no editor has checked since: monitoring's one rule,
    monitoring.models.review_checks. A flag already raised by an earlier run, with nobody
    checking the fact since, is not news again. One item per fact; its state is unchanged."""
    raised_before = CitationCheck.objects.filter(
        citation=OuterRef("citation"),
        flagged=True,
        source_check__checked_at__lt=OuterRef("source_check__checked_at"),
        source_check__checked_at__date__gt=OuterRef("citation__fact__verified_on"),
    )
    checks = (
        review_checks()
        .exclude(Exists(raised_before))
        .filter(
            source_check__checked_at__gt=since,
            source_check__checked_at__lte=until,
            citation__fact__platform__published=True,
        )
        .select_related("citation__fact__platform", "citation__fact__criterion", "source_check")
        .order_by("-source_check__checked_at", "-pk")
    )
    items, seen = [], set()
    for check in checks:
        fact = check.citation.fact
        if fact.pk in seen:
            continue
        seen.add(fact.pk)
        items.append(
            Item(
                platform_id=fact.platform.pk,
                platform_name=fact.platform.name,
                when=check.source_check.checked_at,
                kind="review",
                text=_(
                    "%(criterion)s needs review: a source it quotes changed since it was "
                    "checked (%(outcome)s). The state shown stays as it was until an editor "
                    "checks it."
                )
                % {
                    "criterion": fact.criterion.label,
                    "outcome": check.get_outcome_display().lower(),
                },
                path=platform_path(fact.platform.slug, f"fact-{fact.criterion.slug}"),
            )
        )
    return items


KINDS = [state_changes, new_incidents, flagged_for_review]


def changes_between(since, until):
    """Every kind's items in (since, until], by platform name, newest first within one."""
    items = [item for kind in KINDS for item in kind(since, until)]
    items.sort(key=lambda item: item.when, reverse=True)
    items.sort(key=lambda item: item.platform_name.casefold())
    return items


@dataclass
class PlatformGroup:
    name: str
    items: list


def for_subscriber(items, subscription, followed_ids):
    """The items of the platforms this subscriber follows, grouped per platform."""
    mine = [item for item in items if subscription.follows(item.platform_id, followed_ids)]
    return [
        PlatformGroup(name, list(group))
        for name, group in groupby(mine, key=lambda item: item.platform_name)
    ]
