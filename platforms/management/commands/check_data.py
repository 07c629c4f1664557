from django.core.management.base import BaseCommand, CommandError

from platforms.integrity import (
    data_problems,
    evidence_counts,
    need_mask_problems,
    published_known_share,
)

COLUMNS = ("known", "unknown", "contested", "third-party only")


class Command(BaseCommand):
    help = (
        "Report, per platform, how many cells are known, unknown, contested or sourced only by "
        "third parties; fail on a known fact without a quoted citation, a citation without a "
        "quote, a source without a kind, a missing cell, a contested fact without a reason or a "
        "checklist criterion without mitigation text."
    )

    def handle(self, *args, **options):
        self.report()
        problems = data_problems() + need_mask_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the data.")
        self.stdout.write(self.style.SUCCESS("Every cell is sourced or honestly unknown."))

    def report(self):
        rows = evidence_counts()
        width = max([len("platform"), *(len(r.platform.name) + 2 for r in rows)])
        header = "platform".ljust(width) + "".join(c.rjust(len(c) + 2) for c in COLUMNS)
        self.stdout.write(header)
        for row in rows:
            values = (row.known, row.unknown, row.contested, row.third_party_only)
            name = row.platform.name + ("" if row.platform.published else " *")
            self.stdout.write(
                name.ljust(width)
                + "".join(str(v).rjust(len(c) + 2) for c, v in zip(COLUMNS, values, strict=True))
            )
        known, cells = published_known_share()
        share = f"{known / cells:.0%}" if cells else "n/a"
        published = sum(row.platform.published for row in rows)
        self.stdout.write(
            f"{published} published platforms: {known} of {cells} cells known ({share}). "
            "* = not published."
        )
