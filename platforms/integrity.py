"""Data checks that span rows, which database constraints cannot express.

The rules themselves (what counts as a claim without a quoted source, as third-party-only
evidence, as a quoted citation) live on the QuerySets in models.py; this module only counts
and reports them.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import Citation, Criterion, EncryptionPath, Fact, Incident, Platform, Source, State


@dataclass(frozen=True)
class EvidenceCounts:
    """How well one platform's cells are sourced."""

    platform: Platform
    known: int
    unknown: int
    contested: int
    third_party_only: int

    @property
    def cells(self):
        return self.known + self.unknown


def evidence_counts():
    """Per platform, by name: known / unknown / contested / third-party-only facts.

    Contested and third-party-only are both subsets of known; a contested fact is not counted
    as third-party-only, whatever its sources."""
    third_party_only = dict(
        Fact.objects.contested_or_third_party()
        .filter(contested=False)
        .values_list("platform")
        .annotate(n=Count("pk"))
        .values_list("platform", "n")
    )
    known = Q(facts__in=Fact.objects.known())
    platforms = Platform.objects.annotate(
        n_known=Count("facts", filter=known),
        n_unknown=Count("facts", filter=Q(facts__state=State.UNKNOWN)),
        n_contested=Count("facts", filter=known & Q(facts__contested=True)),
    ).order_by("name")
    return [
        EvidenceCounts(
            platform=p,
            known=p.n_known,
            unknown=p.n_unknown,
            contested=p.n_contested,
            third_party_only=third_party_only.get(p.pk, 0),
        )
        for p in platforms
    ]


def published_known_share():
    """(known, all) cells of the published platforms: the catalogue's floor is stated on it."""
    published = Fact.objects.published()
    return published.known().count(), published.count()


def data_problems():
    """Every reason the dataset cannot be trusted as it stands, as readable sentences."""
    problems = []
    criteria_count = Criterion.objects.count()
    for platform in Platform.objects.annotate(n=Count("facts")).filter(~Q(n=criteria_count)):
        missing = Criterion.objects.exclude(facts__platform=platform).values_list(
            "slug", flat=True
        )
        problems.append(f"{platform}: no fact for {', '.join(missing)}")
    for fact in Fact.objects.unsourced_claims().select_related("platform", "criterion"):
        problems.append(f"{fact}: state “{fact.state}” has no citation with a quote")
    unquoted = Citation.objects.exclude(pk__in=Citation.objects.quoted().values("pk"))
    for citation in unquoted.select_related(
        "source", "fact__platform", "fact__criterion", "plan__platform"
    ):
        problems.append(f"{citation.owner}: the citation of {citation.source.url} has no quote")
    for source in Source.objects.exclude(kind__in=Source.Kind.values):
        problems.append(f"{source.url}: the source has no kind (vendor, third party, …)")
    for model in (EncryptionPath, Incident):
        for obj in model.objects.filter(sources__isnull=True).select_related("platform"):
            problems.append(f"{obj}: cites no source")
    for fact in Fact.objects.filter(contested=True, contested_reason="").select_related(
        "platform", "criterion"
    ):
        problems.append(f"{fact}: contested without a reason")
    for criterion in Criterion.objects.lacking_mitigation():
        problems.append(
            f"{criterion.slug}: on the session-safety checklist without mitigation text "
            "(what to do without it), so the checklist gives generic advice"
        )
    return problems


def need_mask_problems():
    """Every stored need mask (platforms/needs.py) that differs from what its rows say now:
    something wrote the rows past the receivers that keep the masks (platforms/signals.py),
    e.g. QuerySet.update(), raw SQL or a bare loaddata. The seed command, or
    recompute_need_masks(), stores them afresh."""
    from .needs import stale_need_masks

    problems = []
    for row, stored, fresh in stale_need_masks():
        if stored is None:
            problems.append(f"{row}: the criterion has no need bit")
        else:
            problems.append(
                f"{row}: the stored need mask {stored} is not what its facts give, {fresh}"
            )
    return problems
