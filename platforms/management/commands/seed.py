from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from platforms.history import record_current_state
from platforms.models import (
    SEED_CHANGE_REASON,
    Citation,
    Criterion,
    EncryptionPath,
    Fact,
    Incident,
    Plan,
    PlanState,
    Platform,
    Source,
)
from platforms.needs import recompute_need_masks

HISTORY_MODELS = [
    Source,
    Criterion,
    Platform,
    Plan,
    Fact,
    PlanState,
    Citation,
    EncryptionPath,
    Incident,
]

# Loaded in this order: criteria, the seed platforms, then the 2026 catalogue (new platforms,
# and the new criteria's facts on the seed platforms, which refer to both earlier files).
SEED_FIXTURES = [
    "fixtures/criteria.json",
    "fixtures/platforms.json",
    "fixtures/platforms-2026.json",
]


class Command(BaseCommand):
    help = (
        "Load the seed data into an empty database. A database that already holds platforms "
        "is left alone, so an admin's edits are never overwritten (use --force to reload)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when data exists: seed rows are reset to the fixture's values.",
        )

    def handle(self, *args, force=False, **options):
        if not force and (Platform.objects.exists() or Criterion.objects.exists()):
            self.stdout.write("Seed data already present; nothing changed.")
            return
        with transaction.atomic():
            # loaddata alone would record history only for the rows whose sources it sets;
            # instead every loaded row gets one history record, sources included, so the
            # first edit after a seed has an "old" state and a forced reload shows as a change.
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", *SEED_FIXTURES, verbosity=options["verbosity"])
            # loaddata's raw saves leave the stored need masks alone (platforms/signals.py).
            recompute_need_masks()
            record_current_state(HISTORY_MODELS, SEED_CHANGE_REASON, update=force)
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
