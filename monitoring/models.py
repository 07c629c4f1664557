"""What `manage.py check_sources` found on each cited page, run by run.

A `SourceCheck` is one fetch of one source's page; a `CitationCheck` says, for one citation
of that source, whether its quote was still on the page. Both are only ever added (the
`current` flag of a citation's newest check is the one update), so the rows are the
monitoring's own history. The machine never changes a fact: it flags one as **needs review**
(`needs_review_q`), and an editor decides.
"""

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platforms.models import Citation, Source

from . import text

# An unreachable page (a timeout, a 5xx) is retried on the next run; only this many
# unreachable runs in a row flag the facts that cite it.
UNREACHABLE_RUNS_TO_FLAG = 3


class SourceCheckQuerySet(models.QuerySet):
    def latest_per_source(self):
        """Each source's newest check."""
        newest = self.filter(source=models.OuterRef("source")).order_by("-checked_at", "-pk")
        return self.filter(pk=models.Subquery(newest.values("pk")[:1]))


class SourceCheckManager(models.Manager.from_queryset(SourceCheckQuerySet)):
    @transaction.atomic
    def record(self, source, page, checked_at=None):
        """Store what one fetch of `source`'s page (a monitoring.fetch.Page) found, and the
        outcome for each citation of the source."""
        previous = self.filter(source=source).order_by("-checked_at", "-pk").first()
        unreachable = page.status == SourceCheck.Status.UNREACHABLE
        check = self.create(
            source=source,
            checked_at=checked_at or timezone.now(),
            status=page.status,
            http_status=page.http_status,
            final_url=page.final_url[:2000],
            redirects=page.redirects,
            content_type=page.content_type,
            fingerprint=page.fingerprint,
            bytes_read=page.bytes_read,
            truncated=page.truncated,
            error=page.error[:500],
            consecutive_unreachable=(
                (previous.consecutive_unreachable if previous else 0) + 1 if unreachable else 0
            ),
        )
        citations = list(
            Citation.objects.filter(source=source).select_related(
                "fact__platform", "fact__criterion", "plan__platform"
            )
        )
        CitationCheck.objects.filter(citation__in=citations, current=True).update(current=False)
        rows = []
        for citation in citations:
            outcome, detail = CitationCheck.outcome_of(check, page, citation.quote)
            rows.append(
                CitationCheck(
                    citation=citation,
                    source_check=check,
                    outcome=outcome,
                    detail=detail,
                    quote=citation.quote,
                    flagged=CitationCheck.flags(outcome, check.consecutive_unreachable),
                )
            )
        CitationCheck.objects.bulk_create(rows)
        check.outcomes = rows
        return check


class SourceCheck(models.Model):
    class Status(models.TextChoices):
        OK = "ok", _("Page read")
        NOT_HTML = "not_html", _("Not an HTML page (e.g. a PDF): its text was not read")
        GONE = "gone", _("Page gone (404, 410 or no such host)")
        UNREACHABLE = "unreachable", _("Unreachable (timeout, server error, refused)")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=2000, blank=True)
    # Each hop followed: [[status, location], ...], in order.
    redirects = models.JSONField(default=list, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    # SHA-256 of the page's normalised text (of the raw bytes for a PDF); empty when nothing
    # was read. Two checks with the same fingerprint saw the same text.
    fingerprint = models.CharField(max_length=64, blank=True)
    bytes_read = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(
        default=False,
        help_text=_("The page was larger than the size cap: only its start was read."),
    )
    error = models.CharField(max_length=500, blank=True)
    consecutive_unreachable = models.PositiveSmallIntegerField(
        default=0, help_text=_("Runs in a row, this one included, that could not reach the page.")
    )

    objects = SourceCheckManager()

    class Meta:
        ordering = ["-checked_at", "-pk"]
        get_latest_by = ["checked_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ok", "not_html", "gone", "unreachable"]),
                name="source_check_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.source.url} · {self.get_status_display()} · {self.checked_at:%Y-%m-%d}"

    @property
    def redirected(self):
        return bool(self.redirects)


class CitationCheckQuerySet(models.QuerySet):
    def current(self):
        return self.filter(current=True)

    def flagged(self):
        return self.filter(flagged=True)


class CitationCheck(models.Model):
    class Outcome(models.TextChoices):
        FOUND = "found", _("Quote found")
        QUOTE_GONE = "quote_gone", _("Quote gone: the page changed")
        PAGE_GONE = "page_gone", _("Page gone")
        UNREACHABLE = "unreachable", _("Page unreachable")
        NOT_CHECKED = "not_checked", _("Quote not checked")

    citation = models.ForeignKey(Citation, on_delete=models.CASCADE, related_name="checks")
    source_check = models.ForeignKey(
        SourceCheck, on_delete=models.CASCADE, related_name="citation_checks"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    # Why a quote was not checked (a PDF, an empty quote, a page past the size cap).
    detail = models.CharField(max_length=300, blank=True)
    # The quote as it was checked: an editor who rewrites the quote has not been checked yet.
    quote = models.TextField(blank=True)
    flagged = models.BooleanField(
        default=False, help_text=_("This check puts the citing fact up for review.")
    )
    # The citation's newest check; the older ones stay as its history.
    current = models.BooleanField(default=True)

    objects = CitationCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-source_check__checked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["citation"], condition=Q(current=True), name="one_current_check"
            ),
            models.CheckConstraint(
                condition=Q(
                    outcome__in=["found", "quote_gone", "page_gone", "unreachable", "not_checked"]
                ),
                name="citation_check_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.citation} · {self.get_outcome_display()}"

    @classmethod
    def outcome_of(cls, check, page, quote):
        """(outcome, detail) for one citation's quote on a fetched page."""
        Status = SourceCheck.Status  # noqa: N806
        if check.status == Status.GONE:
            return cls.Outcome.PAGE_GONE, check.error or f"HTTP {check.http_status}"
        if check.status == Status.UNREACHABLE:
            return cls.Outcome.UNREACHABLE, check.error
        if check.status == Status.NOT_HTML:
            kind = check.content_type or "unknown type"
            return cls.Outcome.NOT_CHECKED, f"not an HTML page ({kind}): the quote was not checked"
        if not quote.strip():
            return cls.Outcome.NOT_CHECKED, "the citation has no quote"
        if text.quote_on_page(quote, page.text or ""):
            return cls.Outcome.FOUND, ""
        if check.truncated:
            return (
                cls.Outcome.NOT_CHECKED,
                f"the page is larger than the {check.bytes_read:,} bytes read, and the quote "
                "is not in that part",
            )
        return cls.Outcome.QUOTE_GONE, ""

    @classmethod
    def flags(cls, outcome, consecutive_unreachable):
        """The one rule for "this check puts the fact up for review": its quote is gone,
        its page is gone, or the page has been unreachable UNREACHABLE_RUNS_TO_FLAG runs in
        a row. A quote that could not be checked (a PDF) flags nothing."""
        if outcome in {cls.Outcome.QUOTE_GONE, cls.Outcome.PAGE_GONE}:
            return True
        return (
            outcome == cls.Outcome.UNREACHABLE
            and consecutive_unreachable >= UNREACHABLE_RUNS_TO_FLAG
        )


def review_checks():
    """Current flagged checks of fact citations, each newer than the citing fact's own
    "verified on" date: an editor who checked the fact on the day of the run, or later, has
    seen it (the machine's flag is for what nobody has looked at since)."""
    return (
        CitationCheck.objects.current()
        .flagged()
        .filter(
            citation__fact__isnull=False,
            source_check__checked_at__date__gt=models.F("citation__fact__verified_on"),
        )
    )


def needs_review_q(prefix=""):
    """The one definition of a fact that **needs review** because a source it quotes
    changed, went or stayed unreachable (see CitationCheck.flags), as a Q on facts.

    `prefix` is the path from the queried model to the fact (e.g. "fact__")."""
    return Q(**{f"{prefix}pk__in": review_checks().values("citation__fact")})


def annotate_needs_review(queryset):
    """Facts with a `needs_review` boolean, in the same query (for the public pages)."""
    return queryset.annotate(
        needs_review=models.Exists(review_checks().filter(citation__fact=models.OuterRef("pk")))
    )
