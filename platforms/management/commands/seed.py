from django.core.management import call_command
from django.core.management.base import BaseCommand

from platforms.models import Criterion, Platform

SEED_FIXTURES = ["fixtures/criteria.json", "fixtures/platforms.json"]


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
        call_command("loaddata", *SEED_FIXTURES, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
