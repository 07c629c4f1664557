"""python manage.py check_sources: is every cited page still there, and its quote on it?"""

import json
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from monitoring.fetch import Limits, fetch_all
from monitoring.models import CitationCheck, SourceCheck
from platforms.models import Platform, Source

BAR_WIDTH = 30


class Progress:
    """A bar with counts on a terminal; one plain line per page otherwise."""

    def __init__(self, stream, total, tty):
        self.stream, self.total, self.tty, self.done = stream, total, tty, 0
        self.counts = Counter()

    def step(self, check):
        self.done += 1
        self.counts[check.status] += 1
        if self.tty:
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            counts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(
                f"\r[{bar}] {self.done}/{self.total} pages · {counts}\x1b[K", ending=""
            )
            self.stream.flush()
        else:
            code = check.http_status or "-"
            self.stream.write(
                f"{self.done}/{self.total} {check.status} ({code}) {check.source.url}"
                + (f": {check.error}" if check.error else "")
            )

    def finish(self):
        if self.tty and self.done:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Fetch every cited source page, record its status, final address and text fingerprint, "
        "and whether each citation's quote is still on it. Facts whose quote or page is gone "
        "(or whose page stayed unreachable three runs in a row) are flagged for review; no "
        "fact is ever changed. Exits non-zero only when the run itself fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--platform", metavar="SLUG", help="only the sources this platform cites"
        )
        parser.add_argument(
            "--source", metavar="URL", action="append", help="only this source (repeatable)"
        )
        parser.add_argument(
            "--json", action="store_true", help="print the results as JSON on stdout"
        )
        parser.add_argument("--timeout", type=float, help="seconds to connect and between bytes")
        parser.add_argument("--deadline", type=float, help="seconds for one whole page")
        parser.add_argument("--max-bytes", type=int, help="read at most this much of a page")
        parser.add_argument("--concurrency", type=int, help="hosts fetched at once")

    def sources(self, options):
        cited = Q(citations__isnull=False)
        sources = Source.objects.filter(cited)
        if options["platform"]:
            platform = Platform.objects.filter(slug=options["platform"]).first()
            if platform is None:
                raise CommandError(f"No platform has the slug {options['platform']!r}.")
            sources = sources.filter(
                Q(citations__fact__platform=platform) | Q(citations__plan__platform=platform)
            )
        if options["source"]:
            urls = options["source"]
            sources = sources.filter(url__in=urls)
            missing = set(urls) - set(sources.values_list("url", flat=True))
            if missing:
                raise CommandError(
                    "Not a cited source: " + ", ".join(sorted(missing)) + " (the address must "
                    "be a source's, exactly as stored)."
                )
        return list(sources.distinct().order_by("url"))

    def handle(self, *args, **options):
        limits = Limits.from_settings(
            timeout=options["timeout"],
            deadline=options["deadline"],
            max_bytes=options["max_bytes"],
            concurrency=options["concurrency"],
        )
        sources = self.sources(options)
        by_url = {source.url: source for source in sources}
        started = timezone.now()
        verbose = options["verbosity"] > 0
        # A bar on a terminal (stderr, so that --json output stays clean); plain lines on
        # stdout otherwise, e.g. in cron's mail, and nothing but the JSON with --json.
        tty = self.stderr.isatty()
        progress = None
        if verbose and tty:
            progress = Progress(self.stderr, len(sources), tty=True)
        elif verbose and not options["json"]:
            progress = Progress(self.stdout, len(sources), tty=False)
        checks = []
        for page in fetch_all(list(by_url), limits):
            check = SourceCheck.objects.record(by_url[page.url], page)
            checks.append(check)
            if progress:
                progress.step(check)
        if progress:
            progress.finish()
        summary = summarise(checks, started)
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=1))
        elif verbose:
            self.write_summary(summary)

    def write_summary(self, summary):
        pages = summary["pages"]
        outcomes = summary["citations"]
        self.stdout.write(
            f"Checked {summary['checked']} pages: "
            + ", ".join(f"{count} {status}" for status, count in pages.items())
            + "."
        )
        self.stdout.write(
            "Citations: " + ", ".join(f"{count} {o}" for o, count in outcomes.items()) + "."
        )
        flagged = summary["flagged"]
        if flagged:
            self.stdout.write(
                self.style.WARNING(f"{len(flagged)} citation(s) flagged for review:")
            )
            for item in flagged:
                self.stdout.write(
                    f"  {item['fact'] or item['plan']}: {item['outcome']} ({item['url']})"
                )
        else:
            self.stdout.write(self.style.SUCCESS("Nothing needs review."))


def summarise(checks, started):
    pages = Counter(check.status for check in checks)
    outcomes = Counter()
    flagged = []
    results = []
    for check in sorted(checks, key=lambda c: c.source.url):
        citations = []
        for row in check.outcomes:
            outcomes[row.outcome] += 1
            item = {
                "fact": str(row.citation.fact) if row.citation.fact_id else None,
                "plan": str(row.citation.plan) if row.citation.plan_id else None,
                "outcome": row.outcome,
                "detail": row.detail,
                "flagged": row.flagged,
                "url": check.source.url,
            }
            citations.append(item)
            if row.flagged:
                flagged.append(item)
        results.append(
            {
                "url": check.source.url,
                "status": check.status,
                "http_status": check.http_status,
                "final_url": check.final_url,
                "redirects": check.redirects,
                "content_type": check.content_type,
                "fingerprint": check.fingerprint,
                "bytes_read": check.bytes_read,
                "truncated": check.truncated,
                "error": check.error,
                "consecutive_unreachable": check.consecutive_unreachable,
                "citations": citations,
            }
        )
    return {
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "checked": len(checks),
        "pages": dict(sorted(pages.items())),
        "citations": {
            o.value: outcomes[o.value] for o in CitationCheck.Outcome if outcomes[o.value]
        },
        "flagged": flagged,
        "sources": results,
    }
