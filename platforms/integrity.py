"""Data checks that span rows, which database constraints cannot express."""

from django.db.models import Count, Q

from .models import Criterion, EncryptionPath, Fact, Incident, Platform


def data_problems():
    """Every reason the dataset cannot be trusted as it stands, as readable sentences."""
    problems = []
    criteria_count = Criterion.objects.count()
    for platform in Platform.objects.annotate(n=Count("facts")).filter(~Q(n=criteria_count)):
        missing = Criterion.objects.exclude(facts__platform=platform).values_list(
            "slug", flat=True
        )
        problems.append(f"{platform}: no fact for {', '.join(missing)}")
    for fact in Fact.objects.known().unsourced().select_related("platform", "criterion"):
        problems.append(f"{fact}: state “{fact.state}” cites no source")
    for model in (EncryptionPath, Incident):
        for obj in model.objects.filter(sources__isnull=True).select_related("platform"):
            problems.append(f"{obj}: cites no source")
    for fact in Fact.objects.filter(contested=True, contested_reason="").select_related(
        "platform", "criterion"
    ):
        problems.append(f"{fact}: contested without a reason")
    return problems
